"""The console adapter: the bot in a terminal, and the scriptable driver for end-to-end tests."""
from adapters.console.console import Console

__all__ = ["Console"]
