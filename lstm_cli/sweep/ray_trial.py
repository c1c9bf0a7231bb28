"""The Ray side of a sweep trial: run one `lstm train`, report each epoch to Tune as it lands.

Runs in Ray's worker processes, so it imports nothing heavy from lstm_cli (a worker starts faster).
The `lstm train` child is tied to the worker with PR_SET_DEATHSIG (Linux): a trial that Ray kills
does not leave a trainer running.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from lstm_cli.sweep.capture import OUTPUT_FILE, THREAD_VARIABLES, last_line, open_capture

POLL_SECONDS = 0.25
SKIPPED_REPORT_KEYS = ("confusion", "per_label", "per_type")


def epoch_metrics(record: dict[str, Any]) -> dict[str, Any]:
    """One metrics.jsonl record as flat numbers: `dev.entity.f1`, not nested dicts."""
    flat = {key: value for key, value in record.items() if key != "dev"}
    _flatten(record.get("dev"), "dev.", flat)
    return flat


def _flatten(value: Any, prefix: str, into: dict[str, Any]) -> None:
    if not isinstance(value, dict):
        return
    for key, item in value.items():
        if key in SKIPPED_REPORT_KEYS:
            continue
        if isinstance(item, dict):
            _flatten(item, f"{prefix}{key}.", into)
        elif isinstance(item, int | float) and not isinstance(item, bool):
            into[f"{prefix}{key}"] = item


def trial(config: dict[str, Any], *, trials: list[dict[str, Any]], cwd: str) -> None:
    """A Tune function trainable: run `trials[config["index"]]` (its `lstm train` arguments,
    epochs, run directory and the scheduler's metric) with one BLAS thread; report each epoch as
    it lands, the last one only once the run has written its report."""
    from ray import tune

    spec = trials[config["index"]]
    run_dir = Path(spec["run_dir"])
    command = [sys.executable, "-m", "lstm_cli", *spec["args"]]
    env = {**os.environ, **{name: "1" for name in THREAD_VARIABLES}}
    with open_capture(run_dir, command) as output:
        # Its own session: Ray's SIGKILL of the worker's process group must not reach it; the
        # SIGTERM of PR_SET_DEATHSIG lets it save its last checkpoint instead.
        process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                   stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True, preexec_fn=_die_with_parent)
    metrics_path = run_dir / "metrics.jsonl"
    reported = 0
    try:
        while True:
            done = process.poll() is not None
            for record in _complete_records(metrics_path)[reported:]:
                if record["epoch"] >= spec["epochs"] and not done:
                    break      # the last epoch: let the run write its report before Tune sees it
                reported += 1
                metrics = epoch_metrics(record)
                if spec["metric"] and spec["metric"] not in metrics:
                    raise RuntimeError(f"the scheduler's metric {spec['metric']} is not in this "
                                       f"run's epoch metrics ({', '.join(sorted(metrics))})")
                tune.report(metrics)                   # raises SystemExit when Tune stops us
            if done:
                break
            time.sleep(POLL_SECONDS)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)        # saves the last checkpoint, exits 130
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    if process.returncode != 0:
        raise RuntimeError(f"lstm train exited with status {process.returncode}: "
                           f"{last_line(run_dir / OUTPUT_FILE)}")


def _complete_records(path: Path) -> list[dict[str, Any]]:
    """The records of metrics.jsonl whose line is complete (the file grows while we read)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in text.split("\n")[:-1] if line.strip()]


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM when the parent (the trial's worker) dies."""
    if sys.platform.startswith("linux"):
        import ctypes
        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
