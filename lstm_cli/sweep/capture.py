"""Starting `lstm train` children: their captured output (`RUN_DIR/sweep.log`), their threads.

Each start appends a header line (`--- <time> <command>`), then the process's stdout and stderr.
Kept free of heavy imports: Ray workers import it.
"""

from __future__ import annotations

import shlex
import time
from pathlib import Path
from typing import BinaryIO

OUTPUT_FILE = "sweep.log"
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS")
"""The environment variables that size the BLAS thread pools of a child process."""


def open_capture(run_dir: Path, command: list[str]) -> BinaryIO:
    """`run_dir/sweep.log` opened for appending, with the header of this start written."""
    run_dir.mkdir(parents=True, exist_ok=True)
    output = (run_dir / OUTPUT_FILE).open("ab")
    output.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} {shlex.join(command)}\n".encode())
    output.flush()
    return output


def last_line(path: Path) -> str:
    """The last non-empty output line (a failed run's error message)."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "no output captured"
    for line in reversed(lines):
        if line.strip() and not line.startswith("--- "):
            return line.strip()
    return "no output"
