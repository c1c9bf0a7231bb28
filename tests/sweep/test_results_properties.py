"""`lstm report` over run directories whose files were edited by hand: any config.yaml,
metrics.jsonl, report.json or stopped file gives a report or exits 2 with one message naming
the run directory; never a traceback or an internal error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lstm_cli.cli.main import main
from lstm_cli.sweep.plan import STOPPED_FILE
from tests.cli.helpers import tiny_config_dict, write_config, write_tiny_data
from tests.properties import AWKWARD_PIECES, SECONDS_PER_CALL, file_bytes, nested_values
from tests.support import time_limit

FILES = ["config.yaml", "metrics.jsonl", "report.json", STOPPED_FILE]
JSON_VALUES = nested_values(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                                      st.text(max_size=4), st.sampled_from(AWKWARD_PIECES)),
                            max_leaves=8)


@pytest.fixture(scope="module")
def good_run(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("report")
    config = write_config(base / "c.yaml", tiny_config_dict(write_tiny_data(base / "data"),
                                                            train={"epochs": 2}))
    assert main(["train", str(config), "--out", str(base / "run"), "--quiet"]) == 0
    return base / "run"


def json_text(value) -> str:
    return json.dumps(value)


@given(name=st.sampled_from(FILES), data=st.one_of(
    file_bytes(JSON_VALUES.map(json_text)),
    st.lists(JSON_VALUES.map(json_text), max_size=3).map(
        lambda lines: "".join(f"{line}\n" for line in lines).encode()),
    st.sampled_from([b"- a\n- b\n", b"seed: [", b"[" * 5000, b"model: 3\n", b"{}\n"])))
def test_report_over_an_edited_run_directory_reports_or_names_it(
        good_run, tmp_path_factory, capsys, name, data):
    run = tmp_path_factory.mktemp("edited") / "run"
    shutil.copytree(good_run, run)
    (run / name).write_bytes(data)
    capsys.readouterr()
    with time_limit(SECONDS_PER_CALL):
        code = main(["report", str(run), "--format", "json"])
    out, err = capsys.readouterr()
    assert code in (0, 2), err
    assert "Traceback" not in err and "internal error" not in err, err
    if code == 2:
        message = [line for line in err.splitlines() if line.strip()]
        assert len(message) == 1 and str(run) in message[0], err
