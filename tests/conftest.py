"""Fixtures every test folder may use, and the hypothesis profile of the property tests.

The property tests run a fixed number of derandomised examples each (no example database), so
every run of the suite tries the same inputs; set LSTM_HYPOTHESIS_EXAMPLES to try more (e.g.
`LSTM_HYPOTHESIS_EXAMPLES=2000 python3 -m pytest tests -k properties`).
"""

from __future__ import annotations

import io
import os
import sys
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings

from lstm_cli.cli.main import main
from tests.support import Result

settings.register_profile(
    "lstm", max_examples=int(os.environ.get("LSTM_HYPOTHESIS_EXAMPLES", "30")),
    derandomize=True, database=None, deadline=timedelta(seconds=60), print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                           HealthCheck.data_too_large])
settings.load_profile("lstm")


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


@pytest.fixture(scope="session")
def tokenizer_run(tmp_path_factory):
    """A character-level tokeniser trained on a tiny CoNLL-U file: {"run": its run directory,
    "gold": that file}, shared by the tokeniser and API tests."""
    from tests.text.conllu_samples import train_tokenizer

    base = tmp_path_factory.mktemp("tokenizer")
    return {"run": train_tokenizer(base), "gold": base / "train.conllu"}
