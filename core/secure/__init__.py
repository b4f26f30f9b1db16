"""Moving plaintext credentials OpenClaw already holds into the vault (`secure`)."""
