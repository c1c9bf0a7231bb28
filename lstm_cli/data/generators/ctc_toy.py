"""`ctc-toy`: unsegmented label strings rendered as noisy frame sequences, for CTC.

Each sequence is a string of 2–6 symbols from an alphabet of SYMBOLS letters. Every symbol has a
fixed random prototype vector (drawn from the generator, so the same seed gives the same
"sounds"); a symbol lasts 2–6 frames, silences (zero prototype) of 0–2 frames lie between
symbols (at least 1 between two equal symbols, so repeats are audible), plus 0–3 frames at each
end; every frame gets Gaussian noise. Only the symbol string is kept as the target: no
segmentation, so a model must learn the alignment.
"""

from __future__ import annotations

import numpy as np

from lstm_cli.data.types import Example

SYMBOLS = "abcdefgh"
FRAME_DIM = 12
NOISE = 0.6


def generate_ctc_toy(rng: np.random.Generator, size: int) -> list[Example]:
    """`size` sequences: frames [length, FRAME_DIM] and a target string of symbols."""
    prototypes = rng.normal(0.0, 1.0, size=(len(SYMBOLS), FRAME_DIM))
    examples = []
    for i in range(size):
        target = rng.integers(0, len(SYMBOLS), size=rng.integers(2, 7))
        pieces = [np.zeros((rng.integers(0, 4), FRAME_DIM))]
        for k, symbol in enumerate(target):
            if k > 0:
                gap = rng.integers(1 if target[k - 1] == symbol else 0, 3)
                pieces.append(np.zeros((gap, FRAME_DIM)))
            pieces.append(np.repeat(prototypes[symbol][None, :], rng.integers(2, 7), axis=0))
        pieces.append(np.zeros((rng.integers(0, 4), FRAME_DIM)))
        frames = np.concatenate(pieces)
        frames += rng.normal(0.0, NOISE, size=frames.shape)
        examples.append(Example(tokens=[""] * len(frames), frames=frames,
                                target=[SYMBOLS[s] for s in target], source=f"ctc-toy:{i + 1}"))
    return examples
