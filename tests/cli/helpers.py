"""Helpers for the CLI tests: tiny data, tiny configs, running `lstm` as a real subprocess,
comparing checkpoints bit for bit.

Every config here trains in well under a second: hidden_size 8, embedding dim 8, a few dozen
sequences, one BLAS thread (so in-process and subprocess runs agree bit for bit).
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import yaml

from lstm_cli.checkpoint import load_checkpoint
from tests.support import (  # noqa: F401  (re-exported for the tests here)
    REPO_ROOT,
    Result,
    lstm_command,
    run_subprocess,
    start_subprocess,
    subprocess_env,
)

# Words whose label depends on the word; "new york" and "los angeles" are two-token entities.
_ENTITIES = {"LOC": [["paris"], ["london"], ["new", "york"], ["los", "angeles"]],
             "PER": [["obama"], ["merkel"], ["angela", "merkel"]],
             "ORG": [["reuters"], ["bbc"], ["new", "york", "times"]]}
_FILLER = ["the", "latest", "news", "from", "about", "today", "in", "on", "show", "me"]


def make_sequences(count: int, seed: int) -> list[list[tuple[str, str]]]:
    """`count` sentences of (token, IOB2 label) pairs, 2 to 8 tokens, drawn from `seed`."""
    rng = random.Random(seed)
    sequences = []
    for _ in range(count):
        pairs: list[tuple[str, str]] = []
        while len(pairs) < rng.randint(2, 8):
            if rng.random() < 0.35:
                kind = rng.choice(sorted(_ENTITIES))
                words = rng.choice(_ENTITIES[kind])
                pairs += [(word, f"{'B' if i == 0 else 'I'}-{kind}")
                          for i, word in enumerate(words)]
            else:
                pairs.append((rng.choice(_FILLER), "O"))
        sequences.append(pairs)
    return sequences


def write_conll(path: Path, sequences: list[list[tuple[str, str]]]) -> Path:
    path.write_text("".join("".join(f"{token}\t{label}\n" for token, label in sequence) + "\n"
                            for sequence in sequences), encoding="utf-8")
    return path


def write_tiny_data(directory: Path, *, train: int = 40, dev: int = 12, test: int = 12
                    ) -> dict[str, Path]:
    """train/dev/test CoNLL files in `directory`; dev and test only use training labels."""
    directory.mkdir(parents=True, exist_ok=True)
    return {"train": write_conll(directory / "train.txt", make_sequences(train, 1)),
            "dev": write_conll(directory / "dev.txt", make_sequences(dev, 2)),
            "test": write_conll(directory / "test.txt", make_sequences(test, 3))}


def tiny_config_dict(data: dict[str, Path], **sections) -> dict:
    """A config that trains in a fraction of a second; `sections` update it one level deep."""
    config = {
        "seed": 0,
        "data": {"format": "conll", **{name: str(path) for name, path in data.items()}},
        "model": {"cell": "lstm", "hidden_size": 8, "embedding": {"dim": 8}},
        "train": {"epochs": 2, "batch_size": 8, "threads": 1,
                  "optimizer": {"name": "adam", "lr": 0.01}},
    }
    for name, values in sections.items():
        if isinstance(values, dict):
            config.setdefault(name, {}).update(values)
        else:
            config[name] = values
    return config


def write_config(path: Path, config: dict) -> Path:
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def same_arrays(first: dict[str, np.ndarray], second: dict[str, np.ndarray]) -> bool:
    """Same names, dtypes, shapes and bytes (NaN-safe: bit for bit)."""
    return first.keys() == second.keys() and all(
        first[name].dtype == second[name].dtype and first[name].shape == second[name].shape
        and first[name].tobytes() == second[name].tobytes() for name in first)


def assert_same_weights(run_a: Path, run_b: Path, name: str = "last") -> None:
    """The `name` checkpoints of two run directories hold identical parameters and optimiser
    state, bit for bit."""
    a = load_checkpoint(run_a / "checkpoints" / name)
    b = load_checkpoint(run_b / "checkpoints" / name)
    assert same_arrays(a.params, b.params), "parameters differ"
    assert (a.optimizer_state is None) == (b.optimizer_state is None)
    if a.optimizer_state is not None:
        assert same_arrays(a.optimizer_state.arrays, b.optimizer_state.arrays), \
            "optimiser state differs"
        assert a.optimizer_state.scalars == b.optimizer_state.scalars
