"""Dense (real-valued) sequences in a NumPy `.npz` archive, loaded without pickle.

Arrays (frames of all sequences concatenated in order):

    x               [total_frames, D]      float (or int)  the inputs
    lengths         [n]                    int >= 1        frames per sequence, sum = total_frames
    y               [total_frames]         int or str      optional: one label per frame
    targets         [sum(target_lengths)]  int or str      optional: CTC label strings, joined
    target_lengths  [n]                    int >= 0        required with `targets`
    seq_targets     [n] or [n, K]          float           optional: one real-valued target per
                                                           sequence (e.g. the adding problem)
    seq_labels      [n]                    int or str      optional: one class per sequence
    step_targets    [total_frames] or      float           optional: real-valued targets per
                    [total_frames, K]                      frame (regression per step)

Labels and targets are read as strings. Real-valued targets have their own arrays rather than a
float `y`, because integer `y` already means class labels. The model reads `seq_labels` as
`Example.label` (`model.output: last_softmax`), `seq_targets` as `Example.value` and
`step_targets` as `Example.step_values` (`model.output: regression`, last step or per step).
Other arrays are ignored. Strings must be fixed-width unicode arrays
(`np.array(labels, dtype=str)`): an object array would need pickle, and is refused.
An Example's `source` is `path[i]`, `i` being the sequence's 0-based index. `read_seq_targets`
also returns `seq_targets` as one array in sequence order.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from lstm_cli.data.files import check_file, no_sequences
from lstm_cli.data.types import Example
from lstm_cli.errors import DataError


def iter_dense(path: str | Path) -> Iterator[Example]:
    """Yield one Example per sequence: float64 frames [length, D], tokens `[""] * length`,
    labels from `y`, target from `targets`, label from `seq_labels`, value from `seq_targets`
    and step_values from `step_targets` when present."""
    arrays = _load(path)
    lengths = arrays["lengths"]
    starts = np.concatenate([[0], np.cumsum(lengths)])
    y = arrays.get("y")
    target_starts = None
    if "targets" in arrays:
        target_starts = np.concatenate([[0], np.cumsum(arrays["target_lengths"])])
    for i, length in enumerate(lengths.tolist()):
        frames = slice(starts[i], starts[i + 1])
        yield Example(
            tokens=[""] * length,
            labels=None if y is None else y[frames].tolist(),
            frames=arrays["x"][frames],
            target=None if target_starts is None
            else arrays["targets"][target_starts[i]:target_starts[i + 1]].tolist(),
            source=f"{path}[{i}]",
            label=None if "seq_labels" not in arrays else str(arrays["seq_labels"][i]),
            value=None if "seq_targets" not in arrays else arrays["seq_targets"][i],
            step_values=None if "step_targets" not in arrays else arrays["step_targets"][frames])


def read_dense(path: str | Path) -> list[Example]:
    """All sequences of `path`."""
    return list(iter_dense(path))


def read_seq_targets(path: str | Path) -> np.ndarray | None:
    """The per-sequence `seq_targets` array of `path` (float64, [n] or [n, K]), or None."""
    return _load(path).get("seq_targets")


def write_dense(path: str | Path, examples: Sequence[Example],
                seq_targets: np.ndarray | None = None) -> None:
    """Write `examples` (all with frames) in the layout above; `seq_targets` is stored as is
    (by default, the examples' `value`s when they all have one)."""
    arrays = {"x": np.concatenate([example.frames for example in examples]),
              "lengths": np.array([len(example) for example in examples], dtype=np.int64)}
    if all(example.labels is not None for example in examples):
        arrays["y"] = np.array([label for e in examples for label in e.labels], dtype=str)
    if all(example.target is not None for example in examples):
        arrays["targets"] = np.array([s for e in examples for s in e.target], dtype=str)
        arrays["target_lengths"] = np.array([len(e.target) for e in examples], dtype=np.int64)
    if seq_targets is None and all(example.value is not None for example in examples):
        seq_targets = np.stack([np.asarray(example.value) for example in examples])
    if seq_targets is not None:
        arrays["seq_targets"] = np.asarray(seq_targets, dtype=np.float64)
    if all(example.label is not None for example in examples):
        arrays["seq_labels"] = np.array([example.label for example in examples], dtype=str)
    if all(example.step_values is not None for example in examples):
        arrays["step_targets"] = np.concatenate([np.asarray(e.step_values, dtype=np.float64)
                                                 for e in examples])
    with Path(path).open("wb") as file:
        np.savez(file, **arrays)


def _load(path: str | Path) -> dict[str, np.ndarray]:
    """The archive's arrays, checked against the layout above; y and targets as str arrays."""
    path = check_file(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile):
        raise DataError("expected a .npz archive of arrays (numpy.savez), found another kind of "
                        "file (pickled data is refused)", path=path) from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataError("expected a .npz archive of named arrays, found a single .npy array",
                        path=path)
    with archive:
        arrays = {name: _member(archive, name, path) for name in archive.files}
    for name in ("x", "lengths"):
        if name not in arrays:
            raise DataError(f"expected an array named {name!r}, found only "
                            f"{', '.join(sorted(arrays)) or 'none'}", path=path)
    x = _numeric(arrays, "x", path, ndims=(2,)).astype(np.float64, copy=False)
    lengths = _integers(arrays, "lengths", path, minimum=1)
    if lengths.size == 0:
        raise no_sequences(path)
    if sum(lengths.tolist()) != len(x):             # Python ints: no int64 wrap-around
        raise DataError(f"expected sum(lengths) to equal the {len(x)} rows of 'x', found "
                        f"{sum(lengths.tolist())}", path=path)
    checked = {"x": x, "lengths": lengths}
    if "y" in arrays:
        checked["y"] = _labels(arrays, "y", path, size=len(x))
    if ("targets" in arrays) != ("target_lengths" in arrays):
        raise DataError("expected 'targets' and 'target_lengths' together, found only one",
                        path=path)
    if "targets" in arrays:
        target_lengths = _integers(arrays, "target_lengths", path, minimum=0, size=len(lengths))
        checked["target_lengths"] = target_lengths
        checked["targets"] = _labels(arrays, "targets", path, size=sum(target_lengths.tolist()))
    if "seq_targets" in arrays:
        seq_targets = _numeric(arrays, "seq_targets", path, ndims=(1, 2))
        if len(seq_targets) != len(lengths):
            raise DataError(f"expected {len(lengths)} rows in 'seq_targets' (one per sequence), "
                            f"found {len(seq_targets)}", path=path)
        checked["seq_targets"] = seq_targets.astype(np.float64, copy=False)
    if "seq_labels" in arrays:
        checked["seq_labels"] = _labels(arrays, "seq_labels", path, size=len(lengths))
    if "step_targets" in arrays:
        step_targets = _numeric(arrays, "step_targets", path, ndims=(1, 2))
        if len(step_targets) != len(x):
            raise DataError(f"expected {len(x)} rows in 'step_targets' (one per frame of 'x'), "
                            f"found {len(step_targets)}", path=path)
        checked["step_targets"] = step_targets.astype(np.float64, copy=False)
    return checked


def _member(archive: np.lib.npyio.NpzFile, name: str, path: Path) -> np.ndarray:
    """One array of the archive; DataError for a pickled or damaged one."""
    try:
        return archive[name]
    except ValueError as error:
        if "pickle" in str(error):
            raise DataError(f"expected plain arrays, found Python objects in {name!r}, which "
                            "need pickle and are refused",
                            path=path, hint="store strings with dtype=str") from None
        problem = error
    except (OSError, EOFError, MemoryError, zipfile.BadZipFile) as error:
        problem = error
    raise DataError(f"expected a .npz archive of arrays, found a damaged one ({name!r} cannot "
                    f"be read: {type(problem).__name__}: {problem})", path=path)


def _numeric(arrays: dict[str, np.ndarray], name: str, path: Path,
             ndims: tuple[int, ...]) -> np.ndarray:
    array = arrays[name]
    if array.dtype.kind not in "fiu" or array.ndim not in ndims:
        shape = " or ".join(f"{ndim}-D" for ndim in ndims)
        raise DataError(f"expected {name!r} to be a {shape} array of numbers, found a "
                        f"{array.ndim}-D array of {array.dtype}", path=path)
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        bad = np.argwhere(~np.isfinite(array))[0].tolist()
        raise DataError(f"expected finite numbers in {name!r}, found {array[tuple(bad)]} at "
                        f"index {bad}", path=path)
    return array


def _integers(arrays: dict[str, np.ndarray], name: str, path: Path, minimum: int,
              size: int | None = None) -> np.ndarray:
    array = arrays[name]
    if array.dtype.kind not in "iu" or array.ndim != 1:
        raise DataError(f"expected {name!r} to be a 1-D array of integers, found a "
                        f"{array.ndim}-D array of {array.dtype}", path=path)
    if size is not None and len(array) != size:
        raise DataError(f"expected {size} entries in {name!r} (one per sequence), found "
                        f"{len(array)}", path=path)
    if array.size and array.min() < minimum:
        raise DataError(f"expected every entry of {name!r} to be >= {minimum}, found "
                        f"{array.min()}", path=path)
    if array.size and array.max() > np.iinfo(np.int64).max:      # uint64 beyond int64
        raise DataError(f"expected every entry of {name!r} to fit in int64, found "
                        f"{array.max()}", path=path)
    return array.astype(np.int64, copy=False)


def _labels(arrays: dict[str, np.ndarray], name: str, path: Path, size: int) -> np.ndarray:
    array = arrays[name]
    if array.dtype.kind not in "iuU" or array.ndim != 1:
        raise DataError(f"expected {name!r} to be a 1-D array of integers or strings, found a "
                        f"{array.ndim}-D array of {array.dtype}", path=path)
    if len(array) != size:
        raise DataError(f"expected {size} entries in {name!r}, found {len(array)}", path=path)
    array = array.astype(str)
    if (array == "").any():
        raise DataError(f"expected non-empty labels in {name!r}, found an empty string at "
                        f"index {int(np.argmax(array == ''))}", path=path)
    return array
