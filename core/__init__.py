"""Platform-free logic of openclaw-chatops.

Nothing in this package imports a chat platform library: adapters translate their events into
`core.requests.Request` objects and render the `core.replies.Reply` documents this package returns.
"""
