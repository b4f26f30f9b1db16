"""Chat platform adapters: each receives platform events, calls `core.chatops.ChatOps`, and renders
the returned `core.replies.Reply` in the platform's own format. Adapters stay thin."""
