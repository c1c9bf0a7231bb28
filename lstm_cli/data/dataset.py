"""One entry point over all readers: `read_dataset(path, format, **options)`."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from pathlib import Path

from lstm_cli.data.conll import iter_conll
from lstm_cli.data.conllu import iter_conllu
from lstm_cli.data.dense import iter_dense
from lstm_cli.data.jsonl import iter_jsonl
from lstm_cli.data.text import iter_text
from lstm_cli.data.types import Example
from lstm_cli.errors import ConfigError
from lstm_cli.text.chars import iter_char_examples

READERS: dict[str, Callable[..., Iterator[Example]]] = {
    "conll": iter_conll,
    "conllu": iter_conllu,
    "jsonl": iter_jsonl,
    "dense": iter_dense,
    "text": iter_text,
    "conllu_chars": iter_char_examples,
}


def iter_dataset(path: str | Path, format: str, **options) -> Iterator[Example]:
    """Stream the Examples of `path` with the reader for `format` (a key of READERS); `options`
    go to that reader, and one it does not take is a ConfigError."""
    if format not in READERS:
        raise ConfigError(f"expected a data format among {', '.join(READERS)}, found {format!r}")
    reader = READERS[format]
    try:
        inspect.signature(reader).bind(path, **options)
    except TypeError:
        accepted = [name for name in inspect.signature(reader).parameters if name != "path"]
        raise ConfigError(f"expected options for format {format!r} among "
                          f"{', '.join(accepted) or '(none)'}, found {', '.join(options)}"
                          ) from None
    return reader(path, **options)


def read_dataset(path: str | Path, format: str, **options) -> list[Example]:
    """All Examples of `path`; see `iter_dataset`."""
    return list(iter_dataset(path, format, **options))
