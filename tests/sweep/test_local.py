"""`lstm sweep` with the local executor: runs in parallel, skips finished runs, resumes
interrupted ones, keeps going past a failing run; `--print-commands` lines run in a shell."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest

from tests.support import wait_for

from .helpers import GRID_NAMES, lstm_subprocess, write_sweep


def test_a_2x2_sweep_writes_four_finished_run_directories(grid_sweep):
    assert grid_sweep["code"] == 0, grid_sweep["err"]
    output = grid_sweep["output"]
    assert sorted(path.name for path in output.iterdir()) == GRID_NAMES
    for name in GRID_NAMES:
        run_dir = output / name
        assert (run_dir / "report.json").exists()
        assert len((run_dir / "metrics.jsonl").read_text().splitlines()) == 2
    config = (output / "hidden_size=6,lr=0.003" / "config.yaml").read_text()
    assert "hidden_size: 6" in config and "lr: 0.003" in config
    lines = [line for line in grid_sweep["out"].splitlines() if line.startswith("[")]
    assert len(lines) == 4 and all(" done " in line for line in lines)
    assert "sweep: 4 runs: 4 done" in grid_sweep["out"]
    assert "sweep:" in grid_sweep["err"]                           # the tqdm bar


def test_rerunning_a_finished_sweep_skips_every_run(grid_sweep, cli):
    before = {name: (grid_sweep["output"] / name / "report.json").stat().st_mtime_ns
              for name in GRID_NAMES}
    result = cli("sweep", grid_sweep["sweep"], "--jobs", "2")
    assert result.code == 0
    assert "4 skipped" in result.out
    assert before == {name: (grid_sweep["output"] / name / "report.json").stat().st_mtime_ns
                      for name in GRID_NAMES}


def test_one_failing_run_does_not_stop_the_others(project, cli):
    sweep = write_sweep(project, f"""
base: base.yaml
output: {project / 'runs'}
grid:
  data.dev: [{project / 'dev.txt'}, {project / 'missing.txt'}]
""")
    result = cli("sweep", sweep, "--jobs", "2")
    assert result.code == 1
    assert "1 done, 1 failed" in result.out
    failed = [path for path in (project / "runs").iterdir() if "missing" in path.name]
    assert len(failed) == 1
    assert f"failed: {failed[0]}" in result.err
    assert str(failed[0] / "sweep.log") in result.err
    assert "missing.txt" in (failed[0] / "sweep.log").read_text()


@pytest.mark.slow
def test_print_commands_lines_run_as_they_are_in_a_shell(project, cli):
    sweep = write_sweep(project, f"""
base: base.yaml
output: {project / 'runs'}
set: {{train.epochs: 1}}
grid: {{model.cell: [lstm, gru]}}
seeds: [5]
""")
    result = cli("sweep", sweep, "--print-commands")
    assert result.code == 0
    lines = result.out.splitlines()
    assert len(lines) == 2
    assert all(" train " in line and "--seed 5" in line for line in lines)
    shells = [subprocess.Popen(line, shell=True, cwd=project, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True) for line in lines]
    for shell in shells:
        out, err = shell.communicate(timeout=60)
        assert shell.returncode == 0, err
    report = json.loads((project / "runs" / "cell=gru,seed=5" / "report.json").read_text())
    assert report["best_epoch"] == 1
    config = (project / "runs" / "cell=gru,seed=5" / "config.yaml").read_text()
    assert "cell: gru" in config and "seed: 5" in config
    assert cli("sweep", sweep, "--print-commands").out == ""       # all finished now


@pytest.mark.slow
def test_an_interrupted_sweep_resumes_where_it_stopped(project, cli, monkeypatch):
    sweep = write_sweep(project, """
base: base.yaml
output: runs
set: {train.epochs: 10}
grid: {model.hidden_size: [4, 5]}
""")
    first, second = (project / "runs" / f"hidden_size={size}" for size in (4, 5))
    process = lstm_subprocess("sweep", sweep.name, "--jobs", "1", cwd=project)
    wait_for(second / "checkpoints" / "last", process, poll=0.02)  # the second run is training
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "1 done, 1 interrupted" in out and "re-run the sweep to resume" in err
    assert (first / "report.json").exists()
    assert not (second / "report.json").exists() and (second / "checkpoints" / "last").exists()
    finished = (first / "report.json").stat().st_mtime_ns

    monkeypatch.chdir(project)
    rerun = cli("sweep", sweep.name, "--jobs", "1")
    assert rerun.code == 0, rerun.err
    assert "1 done, 1 skipped" in rerun.out
    assert (first / "report.json").stat().st_mtime_ns == finished
    assert "resuming" in (second / "train.log").read_text()
    starts = [line for line in (second / "sweep.log").read_text().splitlines()
              if line.startswith("--- ")]
    assert len(starts) == 2 and "--resume" not in starts[0] and "--resume" in starts[1]
    assert _epochs(second) == list(range(1, 11))


def _epochs(run_dir: Path) -> list[int]:
    return [json.loads(line)["epoch"] for line in
            (run_dir / "metrics.jsonl").read_text().splitlines()]
