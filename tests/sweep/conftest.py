"""Fixtures for the sweep tests: an in-process `lstm` runner, a tiny project, and one 2×2 sweep
run once and shared (read-only) by several tests."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from lstm_cli.cli.main import main

from .helpers import Result, make_project, write_sweep


@pytest.fixture
def cli(capsys):
    """`cli(*argv)` runs `lstm argv` in-process and returns a Result."""

    def run(*argv) -> Result:
        capsys.readouterr()
        code = main([str(arg) for arg in argv])
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A tiny project directory with data and base.yaml (no runs yet)."""
    make_project(tmp_path)
    return tmp_path


@pytest.fixture(scope="session")
def grid_sweep(tmp_path_factory) -> dict:
    """A 2×2 grid (hidden size × learning rate) run with --jobs 2, shared by several tests."""
    directory = tmp_path_factory.mktemp("grid")
    make_project(directory)
    sweep = write_sweep(directory, f"""
base: base.yaml
output: {directory / 'runs'}
set: {{train.epochs: 2}}
grid:
  model.hidden_size: [4, 6]
  train.optimizer.lr: [0.01, 0.003]
""")
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["sweep", str(sweep), "--jobs", "2"])
    return {"dir": directory, "sweep": sweep, "output": directory / "runs", "code": code,
            "out": out.getvalue(), "err": err.getvalue()}
