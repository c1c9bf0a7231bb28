"""`temporal-order`, `temporal-order-3`: classify a long sequence by the order of a few marked
symbols far apart (Hochreiter & Schmidhuber 1997, experiments 6a and 6b).

A sequence starts with `E`, ends with the trigger symbol `B`, and is otherwise made of
distractors drawn uniformly from {a, b, c, d}, except at a few relevant positions, each drawn
uniformly from its window, that hold `X` or `Y` (each with probability 1/2):

    6a  length 100–110, positions t1 ∈ [10, 20], t2 ∈ [50, 60]                4 classes
    6b  length 100–110, positions t1 ∈ [10, 20], t2 ∈ [33, 43], t3 ∈ [66, 76] 8 classes

Positions count from 1 (the `E`). The class is the marked symbols in order, e.g. "XY" (the
paper's Q, R, S, U are XX, XY, YX, YY). Inputs are tokens, one symbol each (the paper's local
coding); the label is the whole sequence's (`Example.label`), due at the trigger: a task for
`model.output: last_softmax`. The paper counts a sequence as classified correctly when every
output is within 0.3 of its target.
"""

from __future__ import annotations

import numpy as np

from lstm_cli.data.types import Example

DISTRACTORS = ("a", "b", "c", "d")
LENGTH = (100, 110)
WINDOWS_6A = ((10, 20), (50, 60))
WINDOWS_6B = ((10, 20), (33, 43), (66, 76))


def temporal_order_sequence(rng: np.random.Generator,
                            windows: tuple[tuple[int, int], ...] = WINDOWS_6A,
                            length: tuple[int, int] = LENGTH) -> tuple[list[str], str]:
    """One sequence (symbols) and its class: the relevant positions are drawn from `windows`
    (inclusive, 1-based), the length uniformly from `length` (inclusive)."""
    size = int(rng.integers(length[0], length[1] + 1))
    if windows[-1][1] >= size:
        raise ValueError(f"a relevant position may fall on the trigger: windows {windows}, "
                         f"length {length}")
    symbols = [DISTRACTORS[k] for k in rng.integers(len(DISTRACTORS), size=size)]
    symbols[0], symbols[-1] = "E", "B"
    marks = []
    for first, last in windows:
        position = int(rng.integers(first, last + 1))
        mark = "XY"[int(rng.integers(2))]
        symbols[position - 1] = mark
        marks.append(mark)
    return symbols, "".join(marks)


def generate_temporal_order(rng: np.random.Generator, size: int,
                            windows: tuple[tuple[int, int], ...] = WINDOWS_6A,
                            length: tuple[int, int] = LENGTH,
                            name: str = "temporal-order") -> list[Example]:
    """`size` labelled sequences; sources are `<name>:<i>`."""
    examples = []
    for i in range(size):
        symbols, label = temporal_order_sequence(rng, windows, length)
        examples.append(Example(tokens=symbols, label=label, source=f"{name}:{i + 1}"))
    return examples


def generate_temporal_order_3(rng: np.random.Generator, size: int) -> list[Example]:
    """Experiment 6b: three relevant symbols, eight classes."""
    return generate_temporal_order(rng, size, WINDOWS_6B, name="temporal-order-3")
