"""`help`: the grammar, filtered to what the asker's role may run."""
from __future__ import annotations

from core.grammar import VERB_BY_NAME, VERBS, Command
from core.handlers.deps import Deps
from core.registry import handles_verb
from core.replies import Field, Reply, Section
from core.requests import Request


@handles_verb("help")
def handle(deps: Deps, request: Request, command: Command) -> Reply:
    role = deps.policy.role_of(request.user)
    name = command.arg("verb")
    if name:
        verb = VERB_BY_NAME.get(name.lower())
        if verb is None:
            return Reply.error("Unknown command", f"There is no `{name}` command. Try `help`.")
        fields = [Field(a.name, a.help + (f" ({' | '.join(a.choices)})" if a.choices else "")) for a in verb.args]
        fields += [Field(f"--{f.name}", f.help) for f in verb.flags]
        return Reply(title=f"/openclaw {verb.usage()}", text=f"{verb.summary}\nNeeds role: {verb.role.label}.",
                     sections=[Section("Arguments", fields=fields)] if fields else [])
    allowed = [v for v in VERBS if role >= v.role]
    return Reply(
        title="/openclaw commands",
        text=f"Your role: {role.label}.",
        sections=[Section("Commands", fields=[Field(f"/openclaw {v.usage()}", v.summary) for v in allowed])],
        context="`help <command>` explains one command.",
    )
