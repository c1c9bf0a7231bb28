"""`parity`: bit strings labelled at each step with the parity of the bits so far;
`parity-sequence`: the same strings with one label, the parity of the whole string (a task for
`model.output: last_softmax`: the answer depends on every bit, and is due at the end)."""

from __future__ import annotations

import numpy as np

from lstm_cli.data.types import Example

MIN_LENGTH = 5
MAX_LENGTH = 30


def generate_parity(rng: np.random.Generator, size: int) -> list[Example]:
    """`size` strings of uniform length in [MIN_LENGTH, MAX_LENGTH], tokens "0"/"1", label t =
    "odd" if tokens[:t + 1] holds an odd number of "1" else "even"."""
    examples = []
    for i in range(size):
        bits = rng.integers(0, 2, size=rng.integers(MIN_LENGTH, MAX_LENGTH + 1))
        parity = np.cumsum(bits) % 2
        examples.append(Example(tokens=[str(bit) for bit in bits],
                                labels=["odd" if p else "even" for p in parity],
                                source=f"parity:{i + 1}"))
    return examples


def generate_parity_sequence(rng: np.random.Generator, size: int,
                             min_length: int = MIN_LENGTH,
                             max_length: int = MAX_LENGTH) -> list[Example]:
    """`size` strings of uniform length in [min_length, max_length], each labelled once
    (`Example.label`) with its parity, "odd" or "even"; no per-step labels. With the default
    lengths the strings are those `generate_parity` draws from the same seed."""
    examples = []
    for i in range(size):
        bits = rng.integers(0, 2, size=rng.integers(min_length, max_length + 1))
        examples.append(Example(tokens=[str(bit) for bit in bits],
                                label="odd" if bits.sum() % 2 else "even",
                                source=f"parity-sequence:{i + 1}"))
    return examples
