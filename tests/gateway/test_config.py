"""Reading openclaw.json as JSON5, the way users write it."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.gateway.config import ConfigError, GatewayConfig

JSON5 = """// the guide's shape, with comments and trailing commas
{
  env: { vars: { ANTHROPIC_API_KEY: "sk-ant-api03-xxxx", }, },
  agents: {
    defaults: {
      model: { primary: "anthropic/claude-opus-4-6" },   /* primary */
      models: { "anthropic/claude-opus-4-6": { params: { cacheControlTtl: "1h", anthropicBeta: "other-beta" } } },
    },
    entries: { main: {}, ops: { params: { cacheRetention: "none" } }, },
  },
}
"""


def test_json5_with_comments(tmp_path: Path):
    path = tmp_path / "openclaw.json"
    path.write_text(JSON5)
    config = GatewayConfig.load(path)
    assert config.agents() == ["main", "ops"]
    assert config.default_model() == "anthropic/claude-opus-4-6"
    params = config.cache_params("anthropic/claude-opus-4-6")
    assert params.effective == "long" and params.anthropic_beta == ("other-beta",)
    assert config.cache_params("anthropic/claude-opus-4-6", "ops").effective == "none"
    assert config.plaintext_env_keys() == ["env.vars.ANTHROPIC_API_KEY"]


def test_legacy_agent_list_and_old_env_shape(tmp_path: Path):
    path = tmp_path / "openclaw.json"
    path.write_text('{ env: { ANTHROPIC_API_KEY: "sk-ant-api03-x" }, agents: { list: [{ id: "main", default: true }, { id: "ops" }] } }')
    config = GatewayConfig.load(path)
    assert config.agents() == ["main", "ops"]
    assert config.plaintext_env_keys() == ["env.ANTHROPIC_API_KEY"]


def test_missing_config_means_only_main(tmp_path: Path):
    assert GatewayConfig.load(tmp_path / "none.json").agents() == ["main"]


def test_broken_config_is_a_clear_error(tmp_path: Path):
    path = tmp_path / "openclaw.json"
    path.write_text("{ agents: ")
    with pytest.raises(ConfigError, match="not valid JSON5"):
        GatewayConfig.load(path)
