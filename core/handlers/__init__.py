"""One module per command family; each handler takes (ChatOps, Request, Command) and returns a Reply."""
