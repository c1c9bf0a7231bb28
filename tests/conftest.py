"""Fixtures every test folder may use."""

from __future__ import annotations

import io
import sys

import pytest

from lstm_cli.cli.main import main
from tests.support import Result


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
