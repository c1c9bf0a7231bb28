"""Fixtures: an in-process `lstm` runner and trained checkpoints to break."""

from __future__ import annotations

from pathlib import Path

import pytest

from lstm_cli.cli.main import main

from .helpers import GOOD_DEV, GOOD_TRAIN, config_yaml


def _train(directory: Path, **overrides) -> Path:
    directory.mkdir(parents=True)
    (directory / "train.txt").write_text(GOOD_TRAIN)
    (directory / "dev.txt").write_text(GOOD_DEV)
    (directory / "c.yaml").write_text(config_yaml(**{
        "data.train": str(directory / "train.txt"), "data.dev": str(directory / "dev.txt"),
        **overrides}))
    run = directory / "run"
    assert main(["train", str(directory / "c.yaml"), "--out", str(run), "--quiet"]) == 0
    return run / "checkpoints" / "best"


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory) -> dict[str, Path]:
    """Good checkpoints to copy and break: `plain` (BiLSTM) and `peephole`."""
    base = tmp_path_factory.mktemp("checkpoints")
    return {"plain": _train(base / "plain"),
            "peephole": _train(base / "peephole", **{"model.peepholes": True})}
