"""One module per command family. A handler takes (Deps, Request, Command) — or (Deps, Request,
value) for a button — returns a Reply, and registers itself with `core.registry`."""
