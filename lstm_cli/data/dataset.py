"""One entry point over all readers: `read_dataset(path, format, **options)`.

Each input format is one line of `FORMATS`: its reader, the reader's keyword options that the
config's `data.<key>`s set, and the file suffixes that name it (`lstm predict --input-format
auto`). Adding a format is its reader module plus its line here."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lstm_cli.config import DataConfig
from lstm_cli.data.conll import iter_conll
from lstm_cli.data.conllu import iter_conllu
from lstm_cli.data.dense import iter_dense
from lstm_cli.data.jsonl import iter_jsonl
from lstm_cli.data.text import iter_text
from lstm_cli.data.types import Example
from lstm_cli.errors import ConfigError
from lstm_cli.text.chars import iter_char_examples, tokenizer_data


@dataclass(frozen=True)
class Format:
    """An input format: `read(path, **options)` streams its Examples; `config_options` pairs
    each reader option with the `data.<key>` that sets it; `suffixes` are the file suffixes
    read in this format when none is named; `model_data(path)`, when set, is what a model
    trained on this format keeps in its checkpoint beside the weights (JSON, built from the
    training file: `model.FORMAT_DATA`)."""

    read: Callable[..., Iterator[Example]]
    config_options: tuple[tuple[str, str], ...] = ()
    suffixes: tuple[str, ...] = ()
    model_data: Callable[[str | Path], dict[str, Any]] | None = None


FORMATS: dict[str, Format] = {
    "conll": Format(iter_conll, (("token_column", "token_column"),
                                 ("label_column", "label_column"),
                                 ("features", "feature_columns"),
                                 ("comment_prefix", "comment_prefix"))),
    "conllu": Format(iter_conllu, (("label_field", "conllu_label"),), suffixes=(".conllu",)),
    "jsonl": Format(iter_jsonl, suffixes=(".jsonl",)),
    "dense": Format(iter_dense, suffixes=(".npz",)),
    "text": Format(iter_text),
    "conllu_chars": Format(iter_char_examples, model_data=tokenizer_data),
}
"""Every input format by name (`data.format`, `lstm predict --input-format`)."""

CONFIG_FORMATS = tuple(name for name in FORMATS if name != "text")
"""The formats `data.format` may name: plain text has no gold to train or score against."""


def iter_dataset(path: str | Path, format: str, **options) -> Iterator[Example]:
    """Stream the Examples of `path` with the reader for `format` (a key of FORMATS); `options`
    go to that reader, and one it does not take is a ConfigError."""
    if format not in FORMATS:
        raise ConfigError(f"expected a data format among {', '.join(FORMATS)}, found {format!r}")
    reader = FORMATS[format].read
    try:
        inspect.signature(reader).bind(path, **options)
    except TypeError:
        accepted = [name for name in inspect.signature(reader).parameters if name != "path"]
        raise ConfigError(f"expected options for format {format!r} among "
                          f"{', '.join(accepted) or '(none)'}, found {', '.join(options)}"
                          ) from None
    return reader(path, **options)


def config_reader_options(format: str, data: DataConfig) -> dict[str, Any]:
    """The reader options of `format` as the config's `data` section sets them."""
    return {option: getattr(data, key) for option, key in FORMATS[format].config_options}


def format_of_suffix(suffix: str) -> str | None:
    """The format a file suffix (`.conllu`) names, or None."""
    return next((name for name, fmt in FORMATS.items() if suffix in fmt.suffixes), None)


def read_dataset(path: str | Path, format: str, **options) -> list[Example]:
    """All Examples of `path`; see `iter_dataset`."""
    return list(iter_dataset(path, format, **options))
