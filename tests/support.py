"""What the CLI-level test folders share: the `lstm` command as a subprocess, and its result."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lstm_cli

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
