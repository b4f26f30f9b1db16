"""The Slack adapter: one slash command, DM onboarding with a modal, Block Kit status."""
