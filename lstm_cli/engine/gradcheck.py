"""Finite-difference gradient checks (float64).

For a scalar loss L(θ) and analytic gradient g, each checked element θ_k is compared with the
five-point central difference (truncation error O(ε⁴), so ε can be large enough that rounding
stays far below the tolerance)

    n_k = [8 (L(θ + ε e_k) − L(θ − ε e_k)) − (L(θ + 2ε e_k) − L(θ − 2ε e_k))] / 12ε

by the relative error

    |g_k − n_k| / max(|g_k|, |n_k|, floor)

where `floor` keeps elements whose true gradient is ~0 from dividing rounding noise by ~0.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lstm_cli.engine.backend import xp


def relative_error(analytic: np.ndarray, numeric: np.ndarray, floor: float = 1e-4) -> float:
    """max_k |a_k − n_k| / max(|a_k|, |n_k|, floor); 0 for empty arrays."""
    if analytic.size == 0:
        return 0.0
    scale = xp.maximum(xp.maximum(xp.abs(analytic), xp.abs(numeric)), floor)
    return float(xp.max(xp.abs(analytic - numeric) / scale))


def check_gradients(loss_fn: Callable[[], float], params: dict[str, np.ndarray],
                    grads: dict[str, np.ndarray], *, rng: np.random.Generator,
                    max_elements: int = 24, eps: float = 1e-3) -> dict[str, float]:
    """Max relative error per parameter, on up to `max_elements` random elements of each.

    `loss_fn()` recomputes the loss from the current values of `params` (which are perturbed in
    place and restored); `grads` holds the analytic gradients at the unperturbed point.
    """
    errors = {}
    for name, value in params.items():
        flat = value.reshape(-1)
        count = min(max_elements, flat.size)
        picked = rng.choice(flat.size, size=count, replace=False) if count else []
        numeric = xp.empty(count)
        for j, k in enumerate(picked):
            original = flat[k]
            at = {}
            for step in (-2, -1, 1, 2):
                flat[k] = original + step * eps
                at[step] = loss_fn()
            flat[k] = original
            numeric[j] = (8 * (at[1] - at[-1]) - (at[2] - at[-2])) / (12 * eps)
        errors[name] = relative_error(grads[name].reshape(-1)[picked], numeric)
    return errors
