"""`adding`: the adding problem (Hochreiter & Schmidhuber 1997, experiment 4).

Each frame is a pair (value, marker): value uniform in [-1, 1]; marker 1.0 on exactly two
frames, -1.0 on the first and last frame (unless marked), else 0.0. The first marked frame is one
of the first ten, the second one of the first T/2 - 1 frames not yet marked; a marked first frame
has value 0. The sequence length is uniform in [T, T + T/10]. The target, due at the last frame,
is 0.5 + (X1 + X2) / 4 for the marked values X1, X2; the paper counts a sequence as processed
correctly when the absolute error there is below 0.04.

The target is one real number per sequence: `generate_adding` returns it beside each Example,
`generate_adding_examples` as the Example's `value`; the dense file stores it as the
`seq_targets` [n] array (`read_seq_targets`, or `Example.value` when read back).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from lstm_cli.data.types import Example

MIN_STEPS = 100


def adding_sequence(rng: np.random.Generator,
                    min_steps: int = MIN_STEPS) -> tuple[np.ndarray, float]:
    """Frames [length, 2] (value, marker) and the target of one adding-problem sequence."""
    length = int(rng.integers(min_steps, min_steps + min_steps // 10 + 1))
    frames = np.zeros((length, 2))
    frames[:, 0] = rng.uniform(-1.0, 1.0, size=length)
    frames[[0, -1], 1] = -1.0
    first = int(rng.integers(10))
    unmarked = [t for t in range(length) if t != first][:min_steps // 2 - 1]
    second = int(rng.choice(unmarked))
    frames[[first, second], 1] = 1.0
    if 0 in (first, second):
        frames[0, 0] = 0.0
    return frames, 0.5 + (frames[first, 0] + frames[second, 0]) / 4.0


def generate_adding(rng: np.random.Generator, size: int,
                    min_steps: int = MIN_STEPS) -> list[tuple[Example, float]]:
    """`size` (Example, target) pairs; Examples have frames only (no labels)."""
    pairs = []
    for i in range(size):
        frames, target = adding_sequence(rng, min_steps)
        pairs.append((Example(tokens=[""] * len(frames), frames=frames,
                              source=f"adding:{i + 1}"), target))
    return pairs


def generate_adding_examples(rng: np.random.Generator, size: int,
                             min_steps: int = MIN_STEPS) -> list[Example]:
    """The pairs of `generate_adding` (same draws) as Examples whose `value` is the target,
    for `model.output: regression` at the last step."""
    return [replace(example, value=np.float64(target))
            for example, target in generate_adding(rng, size, min_steps)]
