"""The one piece of structure every layer shares: named parameters and their gradients.

A layer keeps its own arrays in `params` and writes ∂L/∂param into `grads` (same keys, same
shapes) during its backward pass; a parent names its children, so the whole model's parameters
come out as one flat dict with stable dotted names (`rnn.l0.fwd.w_input`). A layer whose
gradient is non-zero only in some rows of a parameter (an embedding table) lists those rows in
`grad_rows`, under the parameter's key, after each backward pass.
"""

from __future__ import annotations

import numpy as np

from lstm_cli.engine.backend import xp


class Module:
    """A container of parameters, gradients and named child modules."""

    row_sparse: tuple[str, ...] = ()
    """Parameters whose gradient has rows only for the batch's ids (see `grad_rows`)."""

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.children: dict[str, Module] = {}
        self.grad_rows: dict[str, np.ndarray] = {}

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

    def named_grad_rows(self, prefix: str = "") -> dict[str, np.ndarray]:
        """The row-sparse gradients' written rows (sorted ids) from the last backward pass, with
        the keys of `named_params`; parameters with dense gradients are absent."""
        return self._collect("grad_rows", prefix)

    def row_sparse_names(self, prefix: str = "") -> list[str]:
        """The `named_params` keys of every row-sparse parameter below this module."""
        names = [f"{prefix}{name}" for name in self.row_sparse]
        for child_name, child in self.children.items():
            names += child.row_sparse_names(f"{prefix}{child_name}.")
        return names

    def _collect(self, attribute: str, prefix: str) -> dict[str, np.ndarray]:
        own = getattr(self, attribute)
        out = {f"{prefix}{name}": array for name, array in own.items()}
        for child_name, child in self.children.items():
            out.update(child._collect(attribute, f"{prefix}{child_name}."))
        return out

    def zero_grads(self) -> None:
        for grad in self.named_grads().values():
            grad.fill(0)
        self._forget_grad_rows()

    def _forget_grad_rows(self) -> None:
        self.grad_rows.clear()
        for child in self.children.values():
            child._forget_grad_rows()
