"""Discord adapter: the `/openclaw` command group, embeds, buttons, the secret modal and DM intake.

`app.configured(env)` says whether a bot token is set; `app.start(parts)` runs the bot.
"""
