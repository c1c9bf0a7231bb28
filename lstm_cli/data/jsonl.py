"""JSON Lines: one JSON object per line (blank lines skipped).

    {"tokens": [...], "labels": [...], "target": [...], "features": {"name": [...]}}

`tokens` is required; `labels` (one per token), `target` (an unaligned CTC label string) and
`features` (name -> one string per token) are optional, but every line must carry the same set
as the first one. Other keys are ignored (the built-in `embedded-reber` set stores `allowed`).

Sequence-level targets, optional in the same way:

    {"tokens": [...], "label": "XY"}                 one class for the whole sequence
    {"tokens": [...], "value": 0.71}                 a real target ("value": [0.1, 0.2] for K > 1)
    {"tokens": [...], "values": [0.1, 0.3, ...]}     a real target per token ([[...], ...] for K)

`label` feeds `model.output: last_softmax`; `value` and `values` feed `model.output: regression`
(last step and per step).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lstm_cli.data.files import check_file, iter_lines, no_sequences
from lstm_cli.data.types import Example
from lstm_cli.errors import DataError


def iter_jsonl(path: str | Path) -> Iterator[Example]:
    """Yield one Example per non-blank line of `path`."""
    path = check_file(path)
    first: tuple[int, set[str]] | None = None
    for number, line in iter_lines(path):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise DataError(f"expected a JSON object, found invalid JSON ({error.msg} at column "
                            f"{error.colno})", path=path, line=number) from None
        except (ValueError, RecursionError) as error:  # an integer of 5000 digits, [[[[...
            raise DataError(f"expected a JSON object, found JSON this reader cannot hold "
                            f"({type(error).__name__}: {error})", path=path,
                            line=number) from None
        if not isinstance(record, dict):
            raise DataError(f"expected a JSON object, found a {type(record).__name__}",
                            path=path, line=number)
        example = _example(record, path, number)
        fields = {name for name in ("labels", "target", "label", "value", "values")
                  if record.get(name) is not None}
        fields |= {f"features.{name}" for name in example.features}
        if first is None:
            first = (number, fields)
        elif fields != first[1]:
            raise DataError(f"expected the fields of line {first[0]} "
                            f"({_describe(first[1])}), found {_describe(fields)}",
                            path=path, line=number)
        yield example
    if first is None:
        raise no_sequences(path)


def read_jsonl(path: str | Path) -> list[Example]:
    """All lines of `path` as Examples."""
    return list(iter_jsonl(path))


def write_jsonl(path: str | Path, examples: Iterable[Example],
                extras: Sequence[Mapping[str, Any]] | None = None) -> None:
    """Write one JSON object per example; `extras[i]`, if given, adds keys to line i."""
    with Path(path).open("w", encoding="utf-8", newline="\n") as file:
        for i, example in enumerate(examples):
            record: dict[str, Any] = {"tokens": example.tokens}
            if example.labels is not None:
                record["labels"] = example.labels
            if example.target is not None:
                record["target"] = example.target
            if example.features:
                record["features"] = example.features
            if example.label is not None:
                record["label"] = example.label
            if example.value is not None:
                record["value"] = np.asarray(example.value).tolist()
            if example.step_values is not None:
                record["values"] = np.asarray(example.step_values).tolist()
            if extras is not None:
                record.update(extras[i])
            file.write(json.dumps(record, ensure_ascii=False) + "\n")


def _example(record: dict, path: Path, line: int) -> Example:
    tokens = _strings(record.get("tokens"), "tokens", path, line)
    if not tokens:
        raise DataError("expected a non-empty 'tokens' list, found an empty one or none",
                        path=path, line=line)
    labels = _strings(record.get("labels"), "labels", path, line, length=len(tokens))
    target = _strings(record.get("target"), "target", path, line)
    features = record.get("features") or {}
    if not isinstance(features, dict):
        raise DataError(f"expected 'features' to be an object, found a "
                        f"{type(features).__name__}", path=path, line=line)
    for name in features:
        _check_text(name, "features", path, line)
    features = {name: _strings(values, f"features.{name}", path, line, length=len(tokens))
                for name, values in features.items()}
    label = record.get("label")
    if label is not None and (not isinstance(label, str) or not label.strip()):
        raise DataError(f"expected 'label' to be a non-blank string, found {label!r:.60}",
                        path=path, line=line)
    if label is not None:
        _check_text(label, "label", path, line)
    return Example(tokens=tokens, labels=labels, features=features, target=target,
                   source=f"{path}:{line}", label=label,
                   value=_reals(record.get("value"), "value", path, line, ndims=(0, 1)),
                   step_values=_reals(record.get("values"), "values", path, line, ndims=(1, 2),
                                      length=len(tokens)))


def _reals(values: Any, name: str, path: Path, line: int, ndims: tuple[int, ...],
           length: int | None = None) -> np.ndarray | None:
    """`values` checked to be None or a number / list / list of equal lists of finite numbers."""
    if values is None:
        return None
    array = None
    if _numbers(values):
        try:
            array = np.asarray(values, dtype=np.float64)
        except (ValueError, OverflowError):    # ragged lists, integers beyond float64
            pass
    if array is None or array.ndim not in ndims or not np.isfinite(array).all():
        raise DataError(f"expected {name!r} to hold finite numbers (a number or a list, or a "
                        f"list of equal lists), found {values!r:.60}", path=path, line=line)
    if length is not None and len(array) != length:
        raise DataError(f"expected {length} {name!r} (one per token), found {len(array)}",
                        path=path, line=line)
    return array


def _numbers(value: Any) -> bool:
    """A JSON number (not a boolean), or a list of such, nested to any depth."""
    if isinstance(value, list):
        return all(_numbers(item) for item in value)
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _strings(values: Any, name: str, path: Path, line: int,
             length: int | None = None) -> list[str] | None:
    """`values` checked to be None or a list of non-blank strings (of `length` items, if given)."""
    if values is None:
        return None
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise DataError(f"expected {name!r} to be a list of strings, found {values!r:.60}",
                        path=path, line=line)
    if any(not v.strip() for v in values):
        raise DataError(f"expected non-blank strings in {name!r}, found a blank one",
                        path=path, line=line)
    for value in values:
        _check_text(value, name, path, line)
    if length is not None and len(values) != length:
        raise DataError(f"expected {length} {name!r} (one per token), found {len(values)}",
                        path=path, line=line)
    return values


def _check_text(value: str, name: str, path: Path, line: int) -> None:
    """DataError for a string no UTF-8 file can hold: a lone surrogate, which JSON can spell
    (`"\\ud800"`) but which would stop the run when its vocabulary is saved."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise DataError(f"expected text in {name!r}, found a lone surrogate "
                        f"({value[error.start]!r})", path=path, line=line) from None


def _describe(fields: set[str]) -> str:
    return ", ".join(sorted(fields)) or "tokens only"
