"""Built-in datasets, generated deterministically from a seed and written as train/dev/test.

`make(name, out_dir, seed)` draws `size` items with `np.random.default_rng(seed)`, splits them
80/10/10 with `split_examples(..., seed=seed)` and writes `train`, `dev` and `test` files in the
dataset's format (read them back with `read_dataset(path, spec.format)`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lstm_cli.data.conll import write_conll
from lstm_cli.data.dense import write_dense
from lstm_cli.data.generators.adding import generate_adding_examples
from lstm_cli.data.generators.continual_reber import (
    allowed_next_stream,
    generate_continual_reber,
)
from lstm_cli.data.generators.ctc_toy import generate_ctc_toy
from lstm_cli.data.generators.parity import generate_parity, generate_parity_sequence
from lstm_cli.data.generators.queries import generate_queries
from lstm_cli.data.generators.reber import allowed_next, generate_reber
from lstm_cli.data.generators.temporal_order import (
    generate_temporal_order,
    generate_temporal_order_3,
)
from lstm_cli.data.jsonl import write_jsonl
from lstm_cli.data.split import split_examples
from lstm_cli.errors import ConfigError


@dataclass(frozen=True)
class BuiltinSpec:
    """A built-in dataset: what it is, how many sequences by default, the `read_dataset`
    format and file suffix of its files, and how to draw items and write a list of them."""

    description: str
    default_size: int
    format: str
    suffix: str
    generate: Callable[[np.random.Generator, int], list[Any]]
    write: Callable[[Path, list[Any]], None]


def _write_reber(path: Path, examples: list) -> None:
    write_jsonl(path, examples, extras=[{"allowed": allowed_next(e.tokens)} for e in examples])


def _write_continual_reber(path: Path, examples: list) -> None:
    write_jsonl(path, examples,
                extras=[{"allowed": allowed_next_stream(e.tokens)} for e in examples])


BUILTIN_DATASETS: dict[str, BuiltinSpec] = {
    "queries": BuiltinSpec(
        "news-search queries tagged IOB2 with KEYWORDS, NEWSTYPE, PROVIDER and SECTION",
        1000, "conll", ".txt", generate_queries, write_conll),
    "embedded-reber": BuiltinSpec(
        "next-symbol prediction on embedded Reber grammar strings (JSONL with 'allowed')",
        1000, "jsonl", ".jsonl", generate_reber, _write_reber),
    "adding": BuiltinSpec(
        "the 1997 adding problem, T=100: sum two marked values (dense, 'seq_targets')",
        1000, "dense", ".npz", generate_adding_examples, write_dense),
    "ctc-toy": BuiltinSpec(
        "noisy frame sequences of unsegmented label strings, for CTC (dense, 'targets')",
        2000, "dense", ".npz", generate_ctc_toy, write_dense),
    "parity": BuiltinSpec(
        "running parity of bit strings: label each bit 'even' or 'odd' so far",
        1000, "jsonl", ".jsonl", generate_parity, write_jsonl),
    "parity-sequence": BuiltinSpec(
        "parity of a whole bit string, one label per string (JSONL 'label')",
        1000, "jsonl", ".jsonl", generate_parity_sequence, write_jsonl),
    "continual-reber": BuiltinSpec(
        "next-symbol prediction on one unsegmented stream of embedded Reber strings (Gers et "
        "al. 2000; JSONL with 'allowed')",
        200, "jsonl", ".jsonl", generate_continual_reber, _write_continual_reber),
    "temporal-order": BuiltinSpec(
        "the 1997 temporal order problem 6a: classify by the order of 2 marked symbols, "
        "4 classes (JSONL 'label')",
        1000, "jsonl", ".jsonl", generate_temporal_order, write_jsonl),
    "temporal-order-3": BuiltinSpec(
        "the 1997 temporal order problem 6b: 3 marked symbols, 8 classes (JSONL 'label')",
        1000, "jsonl", ".jsonl", generate_temporal_order_3, write_jsonl),
}


def generate_splits(name: str, seed: int, size: int | None = None) -> dict[str, list[Any]]:
    """Built-in dataset `name` drawn with `seed`, split 80/10/10 into train/dev/test items."""
    if name not in BUILTIN_DATASETS:
        raise ConfigError(f"expected a built-in dataset among {', '.join(BUILTIN_DATASETS)}, "
                          f"found {name!r}")
    spec = BUILTIN_DATASETS[name]
    items = spec.generate(np.random.default_rng(seed), spec.default_size if size is None else size)
    return split_examples(items, seed=seed)


def make(name: str, out_dir: str | Path, seed: int, size: int | None = None) -> list[Path]:
    """Generate built-in dataset `name` into `out_dir` (created if needed); return the written
    files (train, dev, test). Same name, seed and size: byte-identical files."""
    parts = generate_splits(name, seed, size)
    spec = BUILTIN_DATASETS[name]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for part, part_items in parts.items():
        path = out_dir / f"{part}{spec.suffix}"
        spec.write(path, part_items)
        written.append(path)
    return written
