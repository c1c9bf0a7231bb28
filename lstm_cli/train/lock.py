"""One trainer per run directory: `run_dir/.lock` names the owner's pid and host.

The lock file is created with O_CREAT | O_EXCL, so of two processes starting together exactly one
creates it. A lock whose pid is no longer running on this host is stale (the trainer crashed or
was killed) and is taken over, with `RunLock.warning` saying so. A lock from another host cannot
be checked and is refused with a hint to delete it by hand.

Known limit: two processes taking over the same stale lock in the same few microseconds can both
succeed (each re-reads the lock just before removing it, which closes all but that window).
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from types import TracebackType

from lstm_cli.errors import LstmError
from lstm_cli.fsutil import pid_is_alive

LOCK_NAME = ".lock"


class RunLock:
    """Context manager holding `run_dir/.lock` from `__enter__` to `__exit__`.

    Raises LstmError when a live lstm process on this host, or any process on another host, holds
    the lock. After a stale lock is taken over, `warning` holds one sentence for the caller to
    print; otherwise it is None. The run directory is created if missing.
    """

    def __init__(self, run_dir: str | Path) -> None:
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / LOCK_NAME
        self.warning: str | None = None
        self._content = json.dumps({"pid": os.getpid(), "hostname": socket.gethostname()})
        self._held = False

    def acquire(self) -> None:
        """Take the lock or raise LstmError (see the class docstring)."""
        if self._held:
            raise RuntimeError(f"{self.path} is already held by this RunLock")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        while not self._try_create():
            owner_text = self._read_owner_text()
            if owner_text is None:
                continue  # released between our create and our read: try again
            pid = self._check_stale(owner_text)
            if self._read_owner_text() == owner_text:
                self.path.unlink(missing_ok=True)
                self.warning = (f"took over a stale lock in {self.run_dir} left by pid {pid}, "
                                "which is no longer running")
        self._held = True

    def release(self) -> None:
        """Remove the lock file if it is still ours; calling it again is harmless."""
        if self._held and self._read_owner_text() == self._content:
            self.path.unlink(missing_ok=True)
        self._held = False

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.release()

    def _try_create(self) -> bool:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(self._content)
            handle.flush()
            os.fsync(handle.fileno())
        return True

    def _read_owner_text(self) -> str | None:
        try:
            return self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def _check_stale(self, owner_text: str) -> int:
        """Return the owner's pid if the lock is stale; raise LstmError if it may be live."""
        delete_hint = f"if no lstm process is training there, delete {self.path}"
        try:
            owner = json.loads(owner_text)
            pid, hostname = int(owner["pid"]), str(owner["hostname"])
        except (ValueError, TypeError, KeyError):
            raise LstmError("lock file is unreadable", path=self.path, hint=delete_hint) from None
        if hostname != socket.gethostname():
            raise LstmError(f"another lstm process (pid {pid} on host {hostname}) may be "
                            f"training into {self.run_dir}", path=self.path, hint=delete_hint)
        if pid_is_alive(pid):
            raise LstmError(f"another lstm process (pid {pid}) is training into {self.run_dir}",
                            path=self.path, hint=delete_hint)
        return pid
