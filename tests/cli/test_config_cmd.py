"""`lstm config show | validate | schema`."""

from __future__ import annotations

import json

import yaml

from lstm_cli.config import Config

from .helpers import REPO_ROOT


def test_config_show_prints_the_resolved_config(tiny, cli):
    result = cli("config", "show", tiny["config"], "--set", "model.cell=gru",
                 "--set", "train.optimizer.lr=0.5")
    assert result.code == 0, result.err
    shown = yaml.safe_load(result.out)
    assert shown["model"]["cell"] == "gru"
    assert shown["train"]["optimizer"]["lr"] == 0.5
    assert shown["model"]["num_layers"] == 1                        # defaults filled in
    assert Config.model_validate(shown).to_dict() == shown          # round-trips


def test_config_validate_ok_and_not_ok(tiny, cli, tmp_path):
    result = cli("config", "validate", tiny["config"])
    assert result.code == 0 and "ok" in result.out
    bad = tmp_path / "bad.yaml"
    bad.write_text("model:\n  hidden_size: 8\n  dropuot: 0.1\n")
    result = cli("config", "validate", bad)
    assert result.code == 2
    assert f"{bad}:3" in result.err and "model.dropout" in result.err


def test_config_validate_blames_a_bad_set_value_on_the_set(tiny, cli):
    result = cli("config", "validate", tiny["config"], "--set", "model.hidden_size=big")
    assert result.code == 2
    assert "--set model.hidden_size" in result.err
    assert str(tiny["config"]) not in result.err


def test_config_schema_is_json_schema_of_every_section(cli):
    result = cli("config", "schema")
    assert result.code == 0
    schema = json.loads(result.out)
    assert schema["type"] == "object"
    assert {"seed", "data", "model", "train", "output"} <= schema["properties"].keys()
    assert schema.get("additionalProperties") is False              # unknown keys: errors


def test_the_shipped_quickstart_config_is_valid(cli):
    assert cli("config", "validate", REPO_ROOT / "configs" / "quickstart.yaml").code == 0
