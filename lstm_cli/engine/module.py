"""The one piece of structure every layer shares: named parameters and their gradients.

A layer keeps its own arrays in `params` and writes ∂L/∂param into `grads` (same keys, same
shapes) during its backward pass; a parent names its children, so the whole model's parameters
come out as one flat dict with stable dotted names (`rnn.l0.fwd.w_input`).
"""

from __future__ import annotations

import numpy as np

from lstm_cli.engine.backend import xp


class Module:
    """A container of parameters, gradients and named child modules."""

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.children: dict[str, Module] = {}

    def add_param(self, name: str, value: np.ndarray) -> np.ndarray:
        """Register a parameter and a zeroed gradient buffer of the same shape and dtype."""
        self.params[name] = value
        self.grads[name] = xp.zeros_like(value)
        return value

    def add_child(self, name: str, module: Module) -> Module:
        self.children[name] = module
        return module

    def named_params(self, prefix: str = "") -> dict[str, np.ndarray]:
        """Every parameter below this module, keyed `prefix.child.name`."""
        return self._collect("params", prefix)

    def named_grads(self, prefix: str = "") -> dict[str, np.ndarray]:
        """Every gradient buffer below this module, with the keys of `named_params`."""
        return self._collect("grads", prefix)

    def _collect(self, attribute: str, prefix: str) -> dict[str, np.ndarray]:
        own = getattr(self, attribute)
        out = {f"{prefix}{name}": array for name, array in own.items()}
        for child_name, child in self.children.items():
            out.update(child._collect(attribute, f"{prefix}{child_name}."))
        return out

    def zero_grads(self) -> None:
        for grad in self.named_grads().values():
            grad.fill(0)
