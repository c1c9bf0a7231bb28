"""Initialisers for parameters; randomness only from the Generator passed in.

A model's parameters live in a flat `dict[str, ndarray]` keyed by stable dotted names
(`rnn.l0.fwd.w_input`), so optimisers, checkpoints and export treat them uniformly.
"""

from __future__ import annotations

import numpy as np

from lstm_cli.engine.backend import xp


def uniform(rng: np.random.Generator, shape: tuple[int, ...], scale: float, dtype) -> np.ndarray:
    """U(−scale, scale)."""
    return xp.asarray(rng.uniform(-scale, scale, size=shape), dtype=dtype)


def glorot(rng: np.random.Generator, shape: tuple[int, int], dtype) -> np.ndarray:
    """Glorot uniform: U(−a, a), a = √(6 / (fan_in + fan_out)) for a [fan_out, fan_in] matrix."""
    fan_out, fan_in = shape
    return uniform(rng, shape, float(xp.sqrt(6.0 / (fan_in + fan_out))), dtype)


def orthogonal(rng: np.random.Generator, shape: tuple[int, int], dtype) -> np.ndarray:
    """A [rows, cols] matrix with orthonormal rows or columns (QR of a Gaussian, sign-fixed).

    A fused recurrent matrix [G·H, H] is made of G orthogonal [H, H] blocks, one per gate.
    """
    rows, cols = shape
    if rows % cols == 0 and rows > cols:
        return xp.concatenate([orthogonal(rng, (cols, cols), dtype) for _ in range(rows // cols)])
    big, small = max(rows, cols), min(rows, cols)
    q, r = xp.linalg.qr(rng.standard_normal((big, small)))
    q *= xp.sign(xp.diag(r))
    return xp.asarray(q if rows >= cols else q.T, dtype=dtype)


def init_matrix(rng: np.random.Generator, shape: tuple[int, int], scheme: str, scale: float,
                dtype) -> np.ndarray:
    """Initialise a weight matrix by scheme name: `uniform` (±scale), `glorot` or `orthogonal`."""
    if scheme == "uniform":
        return uniform(rng, shape, scale, dtype)
    if scheme == "glorot":
        return glorot(rng, shape, dtype)
    if scheme == "orthogonal":
        return orthogonal(rng, shape, dtype)
    raise ValueError(f"unknown initialiser {scheme!r}; choose uniform, glorot or orthogonal")
