"""`lstm sweep --executor ray` on a local Ray instance (2 CPUs, no dashboard): the same run
directories as the local executor, per-epoch metrics reported to Tune so ASHA can stop trials,
Tune's own files kept under `output/.ray`. One test only starts Ray (it takes many
seconds); the others check `--address` errors without a cluster."""

from __future__ import annotations

import json
import socket
from types import SimpleNamespace

import pytest

from .helpers import GRID_NAMES, write_sweep

RUN_FILES = {"checkpoints", "config.yaml", "metrics.jsonl", "train.log", "sweep.log",
             "report.json", "report.md", "stopped.json"}


@pytest.mark.slow
def test_a_2x2_sweep_runs_as_ray_tune_trials(project, cli):
    pytest.importorskip("ray.tune")              # here, not at collection: it imports slowly
    sweep = write_sweep(project, f"""
base: base.yaml
output: {project / 'runs'}
set: {{train.epochs: 3}}
grid:
  model.hidden_size: [4, 6]
  train.optimizer.lr: [0.01, 0.003]
scheduler:
  asha: {{metric: dev.token_accuracy, grace_period: 1, reduction_factor: 2}}
""")
    result = cli("sweep", sweep, "--executor", "ray", "--jobs", "2")
    assert result.code == 0, result.err
    output = project / "runs"
    assert sorted(p.name for p in output.iterdir() if not p.name.startswith(".")) == GRID_NAMES
    assert (output / ".ray").is_dir()
    statuses = []
    for name in GRID_NAMES:
        run_dir = output / name
        assert {p.name for p in run_dir.iterdir() if not p.name.startswith(".")} <= RUN_FILES
        epochs = [json.loads(line)["epoch"] for line in
                  (run_dir / "metrics.jsonl").read_text().splitlines()]
        assert epochs == list(range(1, len(epochs) + 1))
        if (run_dir / "report.json").exists():      # done, even if stopped on its last epoch
            statuses.append("done")
            assert epochs == [1, 2, 3] and not (run_dir / "stopped.json").exists()
        else:
            statuses.append("stopped")
            stopped = json.loads((run_dir / "stopped.json").read_text())
            assert stopped["metric"] == "dev.token_accuracy" and stopped["epoch"] >= 1
    assert "done" in statuses
    summary = f"sweep: 4 runs: {statuses.count('done')} done"
    assert summary in result.out
    rows = json.loads(cli("report", output, "-f", "json").out)
    assert sorted(row["status"] for row in rows) == sorted(statuses)
    again = cli("sweep", sweep, "--executor", "ray", "--jobs", "2")
    assert again.code == 0 and "4 skipped" in again.out


def test_a_run_stopped_on_its_last_epoch_that_still_reported_counts_as_done(tmp_path):
    from lstm_cli.sweep.progress import RunOutcome
    from lstm_cli.sweep.ray_executor import _settle_late_reports

    late, stopped = tmp_path / "late", tmp_path / "stopped"
    for run_dir in (late, stopped):
        run_dir.mkdir()
        (run_dir / "stopped.json").write_text("{}")
    (late / "report.json").write_text("{}")
    runs = [SimpleNamespace(run_dir=late), SimpleNamespace(run_dir=stopped)]
    settled = _settle_late_reports([RunOutcome(run, "stopped") for run in runs])
    assert [outcome.outcome for outcome in settled] == ["done", "stopped"]
    assert not (late / "stopped.json").exists() and (stopped / "stopped.json").exists()


def test_an_address_that_is_not_host_port_exits_2(project, cli):
    pytest.importorskip("ray.tune")
    sweep = write_sweep(project, f"base: base.yaml\noutput: {project / 'runs'}\n")
    result = cli("sweep", sweep, "--executor", "ray", "--address", "nowhere")
    assert result.code == 2
    assert "--address nowhere" in result.err and "HOST:PORT" in result.err


def test_the_probe_tells_a_closed_port_and_a_port_without_grpc_from_a_ray_head(monkeypatch):
    """Ray itself retries such addresses for minutes (a real head: test_sweep_ray_cluster.py)."""
    pytest.importorskip("grpc")
    from lstm_cli.sweep import ray_executor

    monkeypatch.setattr(ray_executor, "PROBE_SECONDS", 0.5)
    with socket.socket() as closed, socket.socket() as silent:
        closed.bind(("127.0.0.1", 0))                 # bound, not listening: refused
        silent.bind(("127.0.0.1", 0))
        silent.listen()                               # accepts, never speaks
        refused = ray_executor._why_no_answer(f"127.0.0.1:{closed.getsockname()[1]}")
        mute = ray_executor._why_no_answer(f"127.0.0.1:{silent.getsockname()[1]}")
    assert "refused" in refused
    assert mute == "the port is open but no gRPC server answered in 0.5 s"
