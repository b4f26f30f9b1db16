"""Everything the bot knows about OpenClaw, reached only through its public contracts.

- `runner`: the `Runner` protocol the facade talks to, and `CliRunner`, which runs the `openclaw`
  CLI with a timeout and turns every way it can fail into a `GatewayError` with a message a chat
  user can act on.
- `status`: the typed snapshot parsed from `openclaw models status --json`.
- `config`: reads `openclaw.json` (JSON5) for agents, models and cache params.
- `plans`: builds `openclaw secrets apply` plans that carry SecretRefs, never values.
- `client`: the `Gateway` facade with the snapshot cache.
"""
