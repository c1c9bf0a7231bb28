"""The local executor: each run is its own `python -m lstm_cli train` process, `jobs` at a time.

BLAS threads are divided so the children do not oversubscribe the cores: each child gets
OMP/OPENBLAS/MKL_NUM_THREADS = max(1, cores // jobs), unless the variable is already set. (Not
`train.threads`: it is saved in config.yaml, so a re-run with another --jobs could not resume.)

Children run in their own session, so a Ctrl-C at the terminal reaches the sweep alone; the sweep
forwards one SIGINT to each child, which saves its last checkpoint and exits 130, waits for them,
and reports the sweep interrupted. A second Ctrl-C forwards a second SIGINT (children stop at
once, as `lstm train` does on a second Ctrl-C).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass
from typing import BinaryIO, TextIO

from lstm_cli.sweep.capture import OUTPUT_FILE, THREAD_VARIABLES, last_line, open_capture
from lstm_cli.sweep.plan import Run, Sweep, split_runs, train_args
from lstm_cli.sweep.progress import RunOutcome, SweepProgress, SweepResult
from lstm_cli.train.runlog import stop_on_signals

POLL_SECONDS = 0.05
KILL_AFTER_SECONDS = 30.0


def available_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def child_env(threads: int) -> dict[str, str]:
    """This process's environment with the BLAS thread variables set (unless already set)."""
    env = dict(os.environ)
    for name in THREAD_VARIABLES:
        env.setdefault(name, str(threads))
    return env


@dataclass
class _Child:
    run: Run
    process: subprocess.Popen
    output: BinaryIO
    started: float


def run_local(sweep: Sweep, *, jobs: int, out: TextIO | None = None,
              err: TextIO | None = None) -> SweepResult:
    """Run every unfinished run of `sweep`; never raises for a failing run."""
    work, finished = split_runs(sweep)
    progress = SweepProgress(len(work), out=out or sys.stdout, err=err or sys.stderr)
    for run, status in finished:
        progress.skipped(run, status)
    env = child_env(max(1, available_cores() // max(1, min(jobs, len(work)))))
    queue = deque(work)
    running: list[_Child] = []
    stopping = False
    try:
        with stop_on_signals() as stop_requested:
            while running or (queue and not stopping):
                if stop_requested() and not stopping:
                    stopping = True
                    _signal_all(running)
                while queue and not stopping and len(running) < jobs:
                    running.append(_launch(sweep, *queue.popleft(), env))
                for child in [c for c in running if c.process.poll() is not None]:
                    running.remove(child)
                    progress.record(_outcome(child, stopping))
                time.sleep(POLL_SECONDS)
    except KeyboardInterrupt:                          # a second Ctrl-C
        stopping = True
    finally:
        # Empty unless a second Ctrl-C (the children's second SIGINT: they stop at once) or an
        # error of the sweep's own ended the loop.
        _signal_all(running)
        for child in running:
            _wait_or_kill(child)
            progress.record(_outcome(child, stopping=True))
        progress.close()
    progress.outcomes += [RunOutcome(run, "not started") for run, _ in queue]
    return SweepResult(progress.outcomes, interrupted=stopping)


def _launch(sweep: Sweep, run: Run, resume: bool, env: dict[str, str]) -> _Child:
    command = [sys.executable, "-m", "lstm_cli", *train_args(sweep, run, resume=resume)]
    output = open_capture(run.run_dir, command)
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output,
                               stderr=subprocess.STDOUT, env=env, start_new_session=True)
    return _Child(run, process, output, time.perf_counter())


def _signal_all(running: list[_Child]) -> None:
    for child in running:
        if child.process.poll() is None:
            child.process.send_signal(signal.SIGINT)


def _wait_or_kill(child: _Child) -> None:
    try:
        child.process.wait(timeout=KILL_AFTER_SECONDS)
    except subprocess.TimeoutExpired:
        child.process.kill()
        child.process.wait()


def _outcome(child: _Child, stopping: bool) -> RunOutcome:
    child.output.close()
    seconds = time.perf_counter() - child.started
    code = child.process.returncode
    if code == 0:
        return RunOutcome(child.run, "done", seconds, code)
    if stopping:
        return RunOutcome(child.run, "interrupted", seconds, code)
    return RunOutcome(child.run, "failed", seconds, code,
                      detail=last_line(child.run.run_dir / OUTPUT_FILE))
