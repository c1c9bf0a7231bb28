"""Elementwise activations applied in place, and their derivatives written from the output.

Every activation used by the cells has a derivative that is a function of its output y = φ(a):

    sigmoid   φ'(a) = y (1 − y)
    tanh      φ'(a) = 1 − y²
    relu      φ'(a) = [y > 0]
    identity  φ'(a) = 1

so the forward pass keeps only y, and the backward pass multiplies a gradient by φ'(a) in place.
"""

from __future__ import annotations

from collections.abc import Callable

from lstm_cli.engine.backend import tanh, xp

Array = xp.ndarray


def sigmoid_(x: Array) -> Array:
    """x ← σ(x) = ½ tanh(½x) + ½ (overflow-free for any finite x)."""
    x *= 0.5
    tanh(x, out=x)
    x *= 0.5
    x += 0.5
    return x


def tanh_(x: Array) -> Array:
    """x ← tanh(x)."""
    return tanh(x, out=x)


def relu_(x: Array) -> Array:
    """x ← max(x, 0)."""
    return xp.maximum(x, 0, out=x)


def identity_(x: Array) -> Array:
    """x ← x."""
    return x


def sigmoid_grad_(grad: Array, y: Array, scratch: Array) -> Array:
    """grad ← grad ⊙ y (1 − y)."""
    xp.subtract(1.0, y, out=scratch)
    scratch *= y
    grad *= scratch
    return grad


def tanh_grad_(grad: Array, y: Array, scratch: Array) -> Array:
    """grad ← grad ⊙ (1 − y²)."""
    xp.multiply(y, y, out=scratch)
    xp.subtract(1.0, scratch, out=scratch)
    grad *= scratch
    return grad


def relu_grad_(grad: Array, y: Array, scratch: Array) -> Array:
    """grad ← grad ⊙ [y > 0]."""
    xp.greater(y, 0, out=scratch, casting="unsafe")
    grad *= scratch
    return grad


def identity_grad_(grad: Array, y: Array, scratch: Array) -> Array:
    """grad ← grad."""
    return grad


ActivationFn = Callable[[Array], Array]
GradFn = Callable[[Array, Array, Array], Array]

ACTIVATIONS: dict[str, tuple[ActivationFn, GradFn]] = {
    "sigmoid": (sigmoid_, sigmoid_grad_),
    "tanh": (tanh_, tanh_grad_),
    "relu": (relu_, relu_grad_),
    "identity": (identity_, identity_grad_),
}


def get_activation(name: str) -> tuple[ActivationFn, GradFn]:
    """The in-place activation and its in-place derivative, by name."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        choices = sorted(ACTIVATIONS)
        raise ValueError(f"unknown activation {name!r}; choose from {choices}") from None
