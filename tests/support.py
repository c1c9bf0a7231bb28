"""What the test folders share: the `lstm` command as a subprocess and its result, waiting for
a file a subprocess writes, a time limit against hangs, and random recurrent stacks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import lstm_cli
from lstm_cli.engine.recurrent import RecurrentStack

REPO_ROOT = Path(lstm_cli.__file__).resolve().parent.parent


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err


def subprocess_env() -> dict[str, str]:
    """This environment with the repository importable and one BLAS thread per process."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONUNBUFFERED="1")
    return env


def lstm_command(*argv: Any) -> list[str]:
    return [sys.executable, "-m", "lstm_cli", *map(str, argv)]


def start_subprocess(*argv: Any, cwd: Path, **kwargs: Any) -> subprocess.Popen:
    """`python -m lstm_cli argv` started in `cwd` (not waited for)."""
    return subprocess.Popen(lstm_command(*argv), cwd=cwd, env=subprocess_env(), **kwargs)


def run_subprocess(*argv: Any, cwd: Path, stdin: str | None = None,
                   timeout: float = 120) -> Result:
    """`python -m lstm_cli argv` in `cwd`, waited for."""
    done = subprocess.run(lstm_command(*argv), cwd=cwd, input=stdin, capture_output=True,
                          text=True, env=subprocess_env(), timeout=timeout)
    return Result(done.returncode, done.stdout, done.stderr)


def wait_for(path: Path, process: subprocess.Popen, *, timeout: float = 60,
             log: Path | None = None, poll: float = 0.005) -> None:
    """Wait until `path` exists; fail if `process` exits first (showing `log`, if given) or
    `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, (f"the process exited ({process.returncode}) before "
                                        f"{path} appeared:\n" + (log.read_text() if log else ""))
        assert time.monotonic() < deadline, f"{path} did not appear within {timeout} s"
        time.sleep(poll)


class TookTooLong(BaseException):
    """A call ran past its `time_limit` (a hang, as far as a test is concerned). Not an
    Exception, so that no `except Exception` in the code under test can take it for an error
    of its own."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise TookTooLong in the block after `seconds` of wall time (SIGALRM: the main thread
    only, and Python code only: a single long C call is interrupted when it returns)."""

    def expire(signum, frame):
        raise TookTooLong(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def random_stack(cell: str, input_size: int, hidden_size: int, rng: np.random.Generator, *,
                 layers: int = 1, bidirectional: bool = False, scale: float = 0.8,
                 **options: Any) -> RecurrentStack:
    """A float64 RecurrentStack built with `rng`, every parameter (biases included) then drawn
    from U(-scale, scale) with the same `rng`."""
    stack = RecurrentStack(cell, input_size, hidden_size, num_layers=layers,
                           bidirectional=bidirectional, rng=rng, dtype=np.float64, **options)
    for value in stack.named_params().values():
        value[...] = rng.uniform(-scale, scale, value.shape)
    return stack
