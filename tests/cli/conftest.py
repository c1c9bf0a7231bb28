"""Fixtures: tiny data and config in tmp_path, an in-process `lstm` runner, one shared run."""

from __future__ import annotations

from pathlib import Path

import pytest

from lstm_cli.cli.main import main

from .helpers import tiny_config_dict, write_config, write_tiny_data


@pytest.fixture
def tiny(tmp_path: Path) -> dict[str, Path]:
    """Tiny data and `config.yaml` in tmp_path: keys train, dev, test, config, dir."""
    data = write_tiny_data(tmp_path / "data")
    config = write_config(tmp_path / "config.yaml", tiny_config_dict(data))
    return {**data, "config": config, "dir": tmp_path}


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory) -> dict[str, Path]:
    """One tiny run shared by the eval, predict and export tests (read-only for them)."""
    base = tmp_path_factory.mktemp("trained")
    data = write_tiny_data(base / "data")
    config = write_config(base / "config.yaml", tiny_config_dict(data))
    run_dir = base / "run"
    assert main(["train", str(config), "--out", str(run_dir), "--quiet"]) == 0
    return {**data, "config": config, "run": run_dir, "dir": base}
