"""Checkpoints: one directory per checkpoint, saved atomically, loaded without pickle.

Layout of `<dir>/`:

    arrays.npz   every array, uncompressed, keys by namespace:
                   param/<name>                model parameters
                   optim/<slot>/<name>         optimiser state (`OptimizerState.arrays`)
                   extra/<name>                any other arrays the caller passes
    meta.json    UTF-8 JSON object:
                   format_version              int, FORMAT_VERSION when written
                   created                     UTC time, ISO 8601
                   arrays_sha256               hex sha256 of the arrays.npz bytes
                   optimizer_state             `OptimizerState.scalars`, or null
                   ...                         the caller's `meta` keys (config, vocabularies,
                                               labels, epoch, step, RNG state, metrics)

Saving builds the directory as `.<name>.tmp-<pid>` beside it and swaps it in with
`fsutil.atomic_replace_dir`, so `<name>` (or, mid-swap, `.<name>.old`) always holds a complete
checkpoint; loading falls back to `.<name>.old` when `<name>` is missing. Loading verifies the
sha256 before parsing and never unpickles: object arrays are refused.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from lstm_cli import fsutil
from lstm_cli.errors import CheckpointError

FORMAT_VERSION = 1
ARRAYS_FILE = "arrays.npz"
META_FILE = "meta.json"
CHECKPOINTS_DIR = "checkpoints"
_RESERVED_META = ("format_version", "created", "arrays_sha256", "optimizer_state")
_NAMESPACES = ("param", "optim", "extra")
_CHECKPOINT_FILES = {ARRAYS_FILE, META_FILE}
_ZIP_MAGIC = b"PK\x03\x04"


class OptimizerState(NamedTuple):
    """An optimiser's state as a checkpoint holds it: what `train.optim.Optimizer.state_dict`
    returns and `load_state_dict` takes."""

    arrays: dict[str, np.ndarray]
    scalars: dict[str, Any]


@dataclass
class Checkpoint:
    """A loaded checkpoint. `meta` holds exactly the caller's keys given to `save_checkpoint`;
    `path` is where it was read from (`.<name>.old` after an interrupted save)."""

    path: Path
    params: dict[str, np.ndarray]
    optimizer_state: OptimizerState | None
    meta: dict[str, Any]
    extra_arrays: dict[str, np.ndarray]
    format_version: int
    created: str


def save_checkpoint(directory: str | Path, *, params: Mapping[str, np.ndarray],
                    meta: Mapping[str, Any], optimizer_state: OptimizerState | None = None,
                    extra_arrays: Mapping[str, np.ndarray] | None = None) -> Path:
    """Write a checkpoint to `directory` atomically, replacing any checkpoint already there.

    `meta` must be JSON-serialisable (Python ints of any size, floats including NaN) and must
    not use the reserved keys format_version, created, arrays_sha256, optimizer_state. Parent
    directories are created. An existing `directory` holding anything but arrays.npz and
    meta.json is refused with CheckpointError rather than replaced. Returns `directory`.
    """
    directory = Path(directory)
    reserved = sorted(set(meta) & set(_RESERVED_META))
    if reserved:
        raise ValueError(f"meta keys {', '.join(reserved)} are reserved for the checkpoint format")
    arrays = {f"param/{name}": value for name, value in params.items()}
    if optimizer_state is not None:
        arrays.update({f"optim/{key}": value for key, value in optimizer_state.arrays.items()})
    arrays.update({f"extra/{name}": value for name, value in (extra_arrays or {}).items()})
    arrays_bytes = _npz_bytes(arrays)
    meta_doc = {
        "format_version": FORMAT_VERSION,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "arrays_sha256": hashlib.sha256(arrays_bytes).hexdigest(),
        "optimizer_state": optimizer_state.scalars if optimizer_state is not None else None,
        **meta,
    }
    meta_bytes = json.dumps(meta_doc, ensure_ascii=False, indent=2).encode("utf-8")

    # The swap deletes whatever was at `directory`: never let that be a run or data folder.
    if directory.exists() and not (
            directory.is_dir()
            and {entry.name for entry in directory.iterdir()} <= _CHECKPOINT_FILES):
        raise CheckpointError("refusing to overwrite: this is not a checkpoint directory",
                              path=directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_tmp_dirs(directory)
    tmp_dir = fsutil.tmp_dir_for(directory)
    if tmp_dir.exists():
        shutil.rmtree(tmp_dir)
    try:
        tmp_dir.mkdir()
        fsutil.write_synced(tmp_dir / ARRAYS_FILE, arrays_bytes)
        fsutil.write_synced(tmp_dir / META_FILE, meta_bytes)
        fsutil.fsync_dir(tmp_dir)
        fsutil.atomic_replace_dir(tmp_dir, directory)
    except BaseException:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        raise
    return directory


def load_checkpoint(directory: str | Path, *, training_state: bool = True) -> Checkpoint:
    """Read and verify the checkpoint in `directory`; CheckpointError names what is wrong.

    Falls back to `.<name>.old` if a save was interrupted mid-swap. `training_state=False`
    reads the parameters only (what a model needs): the optimiser state and the extra arrays,
    twice the parameters' size with Adam, stay unread (`optimizer_state` None, `extra_arrays`
    empty); the sha256 still covers the whole file.
    """
    directory = Path(directory)
    found = fsutil.readable_dir(directory)
    if found is None:
        raise CheckpointError("checkpoint directory not found", path=directory)
    meta_path, arrays_path = found / META_FILE, found / ARRAYS_FILE
    meta_doc = _read_meta(meta_path)
    version = meta_doc.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise CheckpointError(f"format_version is missing or invalid: {version!r}",
                              path=meta_path)
    if version > FORMAT_VERSION:
        raise CheckpointError(f"checkpoint format version {version} is newer than this build "
                              f"of lstm reads (version {FORMAT_VERSION})", path=meta_path,
                              hint="upgrade lstm to load it")
    try:
        arrays_bytes = arrays_path.read_bytes()
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint is incomplete: {ARRAYS_FILE} is missing",
                              path=arrays_path) from None
    if hashlib.sha256(arrays_bytes).hexdigest() != meta_doc.get("arrays_sha256"):
        raise CheckpointError(f"file is corrupt: its sha256 does not match {META_FILE}",
                              path=arrays_path)
    by_namespace = _read_npz(arrays_bytes, arrays_path,
                             _NAMESPACES if training_state else ("param",))

    scalars = meta_doc.get("optimizer_state")
    optimizer_state = (OptimizerState(by_namespace["optim"], scalars)
                       if scalars is not None and training_state else None)
    return Checkpoint(
        path=found,
        params=by_namespace["param"],
        optimizer_state=optimizer_state,
        meta={key: value for key, value in meta_doc.items() if key not in _RESERVED_META},
        extra_arrays=by_namespace["extra"],
        format_version=version,
        created=str(meta_doc.get("created", "")),
    )


def resolve_checkpoint(path: str | Path, *, prefer: Sequence[str] = ("best", "last")) -> Path:
    """The checkpoint directory meant by `path`: itself, or `path/checkpoints/<name>` for the
    first name in `prefer` that holds a checkpoint when `path` is a run directory.

    Raises CheckpointError when `path` is neither.
    """
    path = Path(path)
    if not path.exists() and fsutil.readable_dir(path) is None:
        raise CheckpointError("no such checkpoint or run directory", path=path)
    if _holds_checkpoint(path):
        return path
    for name in prefer:
        candidate = path / CHECKPOINTS_DIR / name
        if _holds_checkpoint(candidate):
            return candidate
    tried = " or ".join(f"{CHECKPOINTS_DIR}/{name}/" for name in prefer)
    raise CheckpointError(f"not a checkpoint (no {META_FILE}) nor a run directory with "
                          f"{tried}", path=path)


def _holds_checkpoint(directory: Path) -> bool:
    found = fsutil.readable_dir(directory)
    return found is not None and (found / META_FILE).is_file()


def _npz_bytes(arrays: Mapping[str, np.ndarray]) -> bytes:
    for key, value in arrays.items():
        if np.asarray(value).dtype.hasobject:
            raise TypeError(f"array {key} has dtype object, which a checkpoint cannot hold")
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _read_meta(meta_path: Path) -> dict[str, Any]:
    try:
        data = meta_path.read_bytes()
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint is incomplete: {META_FILE} is missing",
                              path=meta_path) from None
    try:
        meta_doc = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise CheckpointError(f"file is not valid JSON: {error}",
                              path=meta_path) from None
    if not isinstance(meta_doc, dict):
        raise CheckpointError("file does not hold a JSON object", path=meta_path)
    return meta_doc


def _read_npz(arrays_bytes: bytes, arrays_path: Path,
              read: Sequence[str]) -> dict[str, dict[str, np.ndarray]]:
    """Split the archive into {namespace: {name: array}}, refusing pickled object arrays; the
    arrays of namespaces not in `read` are left unread (their namespace maps to {})."""
    by_namespace: dict[str, dict[str, np.ndarray]] = {namespace: {} for namespace in _NAMESPACES}
    # Without this check np.load would try to read other bytes as a pickle (and refuse, but with
    # a message suggesting allow_pickle=True).
    if not arrays_bytes.startswith(_ZIP_MAGIC):
        raise CheckpointError("file is not a .npz archive", path=arrays_path)
    try:
        with np.load(io.BytesIO(arrays_bytes), allow_pickle=False) as archive:
            for key in archive.files:
                namespace, _, name = key.partition("/")
                if namespace not in by_namespace or not name:
                    raise CheckpointError(f"file holds an unexpected array {key!r}",
                                          path=arrays_path)
                if namespace in read:
                    by_namespace[namespace][name] = archive[key]
    except CheckpointError:
        raise
    except ValueError:
        # What np.load raises for an object array when allow_pickle is False, or a bad header.
        raise CheckpointError("file holds an object (pickled) or malformed array, which lstm "
                              "refuses to load", path=arrays_path) from None
    except (OSError, zipfile.BadZipFile, EOFError) as error:
        raise CheckpointError(f"file is not a readable .npz archive ({error})",
                              path=arrays_path) from None
    return by_namespace


def _remove_stale_tmp_dirs(directory: Path) -> None:
    """Remove `.<name>.tmp-<pid>` siblings left by saves whose process has died."""
    prefix = f".{directory.name}.tmp-"
    for candidate in directory.parent.iterdir():
        pid = candidate.name.removeprefix(prefix)
        if (candidate.name.startswith(prefix) and pid.isdigit() and candidate.is_dir()
                and not fsutil.pid_is_alive(int(pid))):
            shutil.rmtree(candidate, ignore_errors=True)
