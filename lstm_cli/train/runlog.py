"""Where a training run reports, and how it stops: `RunLog` (train.log, stderr, progress bars) and
`stop_on_signals` (SIGINT/SIGTERM as a flag the loop checks between batches)."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from tqdm import tqdm


class RunLog:
    """Where the loop reports: `train.log` always; stderr unless quiet; tqdm bars if `progress`."""

    def __init__(self, stream: TextIO | None, *, progress: bool = True) -> None:
        self.stream = stream
        self.progress = progress and stream is not None
        self.file: TextIO | None = None

    def open(self, path: Path) -> None:
        self.file = path.open("a", encoding="utf-8")

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None

    def __call__(self, message: str) -> None:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        if self.file is not None:
            self.file.write(f"{stamp} {message}\n")
            self.file.flush()
        if self.stream is not None:
            tqdm.write(message, file=self.stream)

    def bar(self, total: int, description: str) -> tqdm:
        return tqdm(total=total, desc=description, unit="seq", file=self.stream,
                    disable=not self.progress, leave=False, dynamic_ncols=True)


@contextmanager
def stop_on_signals() -> Iterator[Callable[[], bool]]:
    """Turn SIGINT/SIGTERM into a flag the loop checks after each batch (main thread only)."""
    requested = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield requested.is_set
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def handler(signum, frame):
        if requested.is_set():                       # a second Ctrl-C stops at once
            signal.default_int_handler(signum, frame)
        requested.set()

    for sig in previous:
        signal.signal(sig, handler)
    try:
        yield requested.is_set
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
