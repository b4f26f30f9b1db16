"""Which host a command names: `--host NAME`, `--host=NAME` or `@NAME`, anywhere in the line.

The grammar stays the one every platform speaks; the hub takes the host out before parsing, so a
host is never mistaken for an agent and a single-gateway bot never sees the word.
"""
from __future__ import annotations

__all__ = ["split_target"]


def split_target(text: str) -> tuple[str | None, str]:
    """(host or None, the command without it); ValueError for two hosts or a dangling `--host`."""
    words = text.split()
    hosts: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--host":
            if i + 1 >= len(words):
                raise ValueError("`--host` needs a host name, e.g. `--host prod`.")
            hosts.append(words[i + 1])
            i += 2
            continue
        if word.startswith("--host="):
            hosts.append(word.removeprefix("--host="))
        elif word.startswith("@") and len(word) > 1:
            hosts.append(word[1:])
        else:
            rest.append(word)
        i += 1
    if len(set(hosts)) > 1:
        raise ValueError(f"One host per command; this one names {', '.join(sorted(set(hosts)))}.")
    return (hosts[0].lower() if hosts else None), " ".join(rest)
