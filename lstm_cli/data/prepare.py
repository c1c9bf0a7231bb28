"""The `data` section of a config turned into train/dev/test Examples."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lstm_cli.config import Config, DataConfig
from lstm_cli.data.dataset import config_reader_options, iter_dataset
from lstm_cli.data.generators import BUILTIN_DATASETS, generate_splits
from lstm_cli.data.length import enforce_max_length
from lstm_cli.data.split import split_examples
from lstm_cli.data.types import Example
from lstm_cli.data.windows import WindowSpec
from lstm_cli.errors import ConfigError, DataError

Warn = Callable[[str], None]


def reader_options(data: DataConfig, format: str | None = None) -> dict:
    """Keyword options of the reader for `format` (default: the config's) from `data`."""
    return config_reader_options(format or data.format, data)


def iter_examples(path: str | Path, data: DataConfig, format: str | None = None,
                  **overrides) -> Iterator[Example]:
    """Stream a data file as the config reads it (`overrides` replace reader options)."""
    return iter_dataset(path, format or data.format, **{**reader_options(data, format),
                                                       **overrides})


def read_examples(path: str | Path, data: DataConfig, *, warn: Warn | None = None) -> list[Example]:
    """A data file read as the config says, with `data.max_length` enforced."""
    policy = "error" if data.too_long == "reject" else "split"
    return enforce_max_length(list(iter_examples(path, data)), data.max_length, policy=policy,
                              warn=warn)


def window_spec(data: DataConfig) -> WindowSpec | None:
    window = data.window
    return None if window is None else WindowSpec(window.size, window.stride, window.align)


@dataclass
class Splits:
    """The examples of each split; `sources` says where each came from (for reports)."""

    train: list[Example]
    dev: list[Example] | None
    test: list[Example] | None
    sources: dict[str, str]


def load_splits(config: Config, *, warn: Warn | None = None) -> Splits:
    """Read train (and dev/test, or cut them from train with `data.split`)."""
    data = config.data
    if data.builtin is not None:
        splits = _builtin_splits(data)
        for examples in (splits.train, splits.dev, splits.test):
            check_sequence_targets(config, examples or [])
        return splits
    if data.train is None:
        raise ConfigError("data.train is not set", hint="give the path of the training data")
    train = read_examples(data.train, data, warn=warn)
    sources = {"train": data.train}
    dev = read_examples(data.dev, data, warn=warn) if data.dev else None
    test = read_examples(data.test, data, warn=warn) if data.test else None
    if dev is not None:
        sources["dev"] = data.dev
    if test is not None:
        sources["test"] = data.test
    if data.split is not None:
        if dev is not None or (test is not None and data.split.test):
            raise ConfigError("data.split cuts dev/test out of data.train; do not also give "
                              "data.dev, nor data.test unless data.split.test is 0")
        split = data.split
        parts = split_examples(train, {"train": split.train, "dev": split.dev,
                                       "test": split.test}, seed=split.seed)
        train, dev = parts["train"], parts.get("dev") or None
        test = parts.get("test") or test
        for name in ("train", "dev", "test"):
            if parts.get(name):
                sources[name] = f"{data.train} ({name} part of split seed {split.seed})"
    if not train:
        raise ConfigError("the training split is empty", hint="check data.split fractions")
    for examples in (train, dev, test):
        check_sequence_targets(config, examples or [])
    return Splits(train, dev, test, sources)


def check_sequence_targets(config: Config, examples: Sequence[Example]) -> None:
    """When the output's targets are `required` (one label per sequence, real values), every
    example must carry them (`label`; `value` or, per step, `step_values`), real ones with
    `model.<section>.size` values (per step): else a DataError naming the first sequence that
    does not."""
    model = config.model
    targets = model.output_targets()
    if not targets.required:
        return
    size = model.output_section().get("size")
    for example in examples:
        target = getattr(example, targets.example_field)
        if target is None:
            raise DataError(f"expected {targets.description} for model.output {model.output}",
                            path=example.source)
        if not targets.real:
            continue
        per_step = not targets.per_sequence
        found = np.size(target) // (len(example) if per_step else 1)
        if found != size or (per_step and np.shape(target)[0] != len(example)):
            raise DataError(f"expected {size} target value(s) per "
                            f"{'step' if per_step else 'sequence'}, found shape "
                            f"{np.shape(target)}", path=example.source,
                            hint=f"set model.{model.output_layer.config_section}.size: "
                                 f"{max(found, 1)}")


def _builtin_splits(data: DataConfig) -> Splits:
    builtin = data.builtin
    spec = BUILTIN_DATASETS.get(builtin.name)
    if spec is None:
        raise ConfigError(f"data.builtin.name: unknown dataset {builtin.name!r}",
                          hint=f"choose from {', '.join(BUILTIN_DATASETS)}")
    if spec.format != data.format:
        raise ConfigError(f"data.format must be {spec.format} for the built-in dataset "
                          f"{builtin.name}", hint=f"set data.format: {spec.format}")
    parts = generate_splits(builtin.name, builtin.seed, builtin.size)
    if not all(isinstance(item, Example) for item in parts["train"]):
        raise ConfigError(f"the built-in dataset {builtin.name} has per-sequence targets that "
                          f"no output layer reads yet; generate it with `lstm data make`")
    name = f"builtin:{builtin.name}(seed={builtin.seed})"
    return Splits(parts["train"], parts["dev"], parts["test"],
                  {part: f"{name} {part}" for part in ("train", "dev", "test")})
