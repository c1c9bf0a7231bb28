"""Crash-safe writes: readers see the old complete file (or directory) or the new one, never a mix.

Files: write a uniquely named temp file in the same directory, flush, fsync, `os.replace` it over
the final name, fsync the directory so the rename itself survives a power cut.

Directories (checkpoints) cannot be swapped in one rename, so `atomic_replace_dir` renames twice:

    1. build the new tree in `.<name>.tmp-<pid>` (the caller), fsync its files and the folder
    2. `<name>`           -> `.<name>.old`   (skipped when `<name>` does not exist)
    3. `.<name>.tmp-<pid>` -> `<name>`
    4. remove `.<name>.old`

Each rename is atomic and followed by an fsync of the parent, so at every instant a complete tree
exists under `<name>` or, between steps 2 and 3 only, under `.<name>.old`. Readers call
`readable_dir`, which falls back to `.<name>.old` when `<name>` is missing. POSIX only: directory
fsync needs `os.open` on a directory.

A temp tree whose pid no longer runs (`pid_is_alive`) was left by a crash; the run lock uses the
same test for a stale lock.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path


def fsync_dir(directory: str | Path) -> None:
    """Flush a directory's entries (creations, renames, removals) to disk."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_synced(path: str | Path, data: bytes) -> None:
    """Create or truncate `path`, write `data`, flush and fsync it. Not atomic on its own."""
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Replace `path` with `data` atomically; on any failure the old file (if any) is untouched."""
    path = Path(path)
    # A random suffix keeps concurrent writers (threads included) off each other's temp file;
    # os.open with 0o666 lets the umask decide the final permissions, as for a plain open().
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def atomic_write_text(path: str | Path, text: str, *, encoding: str = "utf-8") -> None:
    """`atomic_write_bytes` for text."""
    atomic_write_bytes(path, text.encode(encoding))


def tmp_dir_for(final_dir: str | Path) -> Path:
    """The sibling in which this process builds a new `final_dir`: `.<name>.tmp-<pid>`."""
    final_dir = Path(final_dir)
    return final_dir.with_name(f".{final_dir.name}.tmp-{os.getpid()}")


def old_dir_for(final_dir: str | Path) -> Path:
    """The sibling that holds the previous `final_dir` during a swap: `.<name>.old`."""
    final_dir = Path(final_dir)
    return final_dir.with_name(f".{final_dir.name}.old")


def atomic_replace_dir(tmp_dir: str | Path, final_dir: str | Path) -> None:
    """Swap the complete tree `tmp_dir` in as `final_dir` (protocol in the module docstring).

    `tmp_dir` must be a sibling of `final_dir` with its contents already fsynced. A `.<name>.old`
    left by an earlier crash is removed first when `<name>` exists (it is then the stale copy) and
    kept until step 3 when `<name>` is missing (it is then the only complete copy).
    """
    tmp_dir, final_dir = Path(tmp_dir), Path(final_dir)
    if tmp_dir.parent.resolve() != final_dir.parent.resolve():
        raise ValueError(f"{tmp_dir} and {final_dir} must be in the same directory")
    old_dir = old_dir_for(final_dir)
    parent = final_dir.parent
    if final_dir.exists():
        if old_dir.exists():
            shutil.rmtree(old_dir)
        os.rename(final_dir, old_dir)
        fsync_dir(parent)
    os.rename(tmp_dir, final_dir)
    fsync_dir(parent)
    if old_dir.exists():
        shutil.rmtree(old_dir)
        fsync_dir(parent)


def readable_dir(final_dir: str | Path) -> Path | None:
    """Where the complete tree for `final_dir` is: itself, else `.<name>.old`, else None."""
    final_dir = Path(final_dir)
    if final_dir.is_dir():
        return final_dir
    old_dir = old_dir_for(final_dir)
    if old_dir.is_dir():
        return old_dir
    # A writer may have finished step 3 between the two checks above.
    return final_dir if final_dir.is_dir() else None


def pid_is_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host (signal 0 probes without sending)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists but belongs to another user
    return True
