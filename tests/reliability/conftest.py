"""Fixtures: an in-process `lstm` runner and trained checkpoints to break."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from lstm_cli.cli.main import main

from .helpers import GOOD_DEV, GOOD_TRAIN, Result, config_yaml


@pytest.fixture
def cli(capsys, monkeypatch):
    """`cli(*argv, stdin=None)` runs `lstm argv` in-process and returns a Result."""

    def run(*argv, stdin: str | None = None) -> Result:
        capsys.readouterr()
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main([str(arg) for arg in argv])
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


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
