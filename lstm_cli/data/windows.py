"""Fixed-size windows cut from sequences (or from one stream of all of them), each original
position scored exactly once.

The original C++ tagger classified each word from a 5-word window around it; here that is
`WindowSpec(size=5, stride=1, align="centre")`. In general a window covers `size` positions and
scores a block of up to `stride` consecutive original positions:

    centre  block k = positions [k*stride, (k+1)*stride); the window adds (size - stride) // 2
            positions of context on its left and the rest on its right.
    left    window k starts at k*stride; the first window scores all its positions, each later
            one only the `stride` positions past the end of the previous window.

Positions outside the sequence hold `BOUNDARY` (tokens and feature values; zero frames). Labels
are kept only at scored positions; every other position gets `IGNORE_LABEL`, which encodes to -1,
so training and accuracy see each original token exactly once. `stitch` maps per-window
predictions back onto the original sequences.

With `stream=True` the examples are first joined into one long sequence, so windows cross
sequence ends (for data that is one running text cut arbitrarily into lines).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from lstm_cli.data.types import Example
from lstm_cli.data.vocab import IGNORE_LABEL
from lstm_cli.errors import ConfigError, DataError

BOUNDARY = "<boundary>"
ALIGNS = ("centre", "left")


@dataclass(frozen=True)
class WindowSpec:
    """`data.window` in the config: window size, stride (1 <= stride <= size) and alignment."""

    size: int
    stride: int = 1
    align: str = "centre"
    stream: bool = False

    def __post_init__(self) -> None:
        if self.align not in ALIGNS:
            raise ConfigError(f"expected window align to be one of {', '.join(ALIGNS)}, "
                              f"found {self.align!r}")
        if not 1 <= self.stride <= self.size:
            raise ConfigError(f"expected 1 <= window stride <= size ({self.size}), found "
                              f"stride {self.stride}")


@dataclass
class Window:
    """One window: `example` has `size` positions, of which `scored` are the scored ones;
    `origins[j]` is the (example index, position) of the j-th scored position."""

    example: Example
    scored: slice
    origins: list[tuple[int, int]]


def make_windows(examples: Sequence[Example], spec: WindowSpec) -> list[Window]:
    """Cut every example (or their concatenation, with `spec.stream`) into windows."""
    for example in examples:
        if example.target is not None:
            raise DataError("expected per-position labels to cut into windows, found an "
                            "unaligned CTC target", path=example.source)
    if spec.stream and examples:
        units = [(_concatenate(examples),
                  [(i, t) for i, example in enumerate(examples) for t in range(len(example))])]
    else:
        units = [(example, [(i, t) for t in range(len(example))])
                 for i, example in enumerate(examples)]
    return [_window(unit, positions, spec.size, start, first, stop, examples)
            for unit, positions in units
            for start, first, stop in _spans(len(unit), spec)]


def stitch(windows: Sequence[Window], predictions: Sequence[Sequence[str]],
           lengths: Sequence[int]) -> list[list[str]]:
    """Per-position predictions for the original examples (of `lengths`), taken from the scored
    positions of each window's prediction `predictions[k]` (one label per window position)."""
    out: list[list[str | None]] = [[None] * length for length in lengths]
    for window, predicted in zip(windows, predictions, strict=True):
        for (i, t), label in zip(window.origins, predicted[window.scored], strict=True):
            out[i][t] = label
    if any(label is None for labels in out for label in labels):
        raise ValueError("stitch: the windows do not cover every position")
    return out


def _spans(length: int, spec: WindowSpec) -> Iterator[tuple[int, int, int]]:
    """(window start, first scored, scored stop) as positions in a sequence of `length`."""
    if spec.align == "centre":
        context = (spec.size - spec.stride) // 2
        for first in range(0, length, spec.stride):
            yield first - context, first, min(first + spec.stride, length)
    else:
        yield 0, 0, min(spec.size, length)
        for start in range(spec.stride, length - spec.size + spec.stride, spec.stride):
            yield start, start + spec.size - spec.stride, min(start + spec.size, length)


def _window(unit: Example, positions: list[tuple[int, int]], size: int, start: int,
            first: int, stop: int, examples: Sequence[Example]) -> Window:
    """The window over unit positions [start, start + size), scoring [first, stop)."""
    length = len(unit)
    span = range(start, start + size)
    frames = None
    if unit.frames is not None:
        frames = np.zeros((size, unit.frames.shape[1]), dtype=unit.frames.dtype)
        inside = slice(max(start, 0), min(start + size, length))
        frames[inside.start - start:inside.stop - start] = unit.frames[inside]
    example_index, position = positions[first]
    return Window(
        example=Example(
            tokens=[unit.tokens[p] if 0 <= p < length else BOUNDARY for p in span],
            labels=None if unit.labels is None
            else [unit.labels[p] if first <= p < stop else IGNORE_LABEL for p in span],
            features={name: [values[p] if 0 <= p < length else BOUNDARY for p in span]
                      for name, values in unit.features.items()},
            frames=frames,
            source=f"{examples[example_index].source} token {position + 1}"),
        scored=slice(first - start, stop - start),
        origins=positions[first:stop])


def _concatenate(examples: Sequence[Example]) -> Example:
    """All examples joined into one (labels only if every example has them)."""
    labelled = all(example.labels is not None for example in examples)
    return Example(
        tokens=[token for example in examples for token in example.tokens],
        labels=[label for e in examples for label in e.labels] if labelled else None,
        features={name: [value for e in examples for value in e.features[name]]
                  for name in examples[0].features},
        frames=None if examples[0].frames is None
        else np.concatenate([example.frames for example in examples]),
        source=examples[0].source)
