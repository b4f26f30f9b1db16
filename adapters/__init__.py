"""Chat platform adapters: each receives platform events, calls `core.chatops.ChatOps`, and renders
the returned `core.replies.Reply` in the platform's own format. Adapters stay thin, and import
core only: `core.adapter` is what the bot hands them and how it starts them."""
