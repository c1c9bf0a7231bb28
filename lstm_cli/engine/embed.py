"""Input encoders: token-id and categorical-feature embeddings, and the affine layer."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lstm_cli.engine.backend import xp
from lstm_cli.engine.module import Module
from lstm_cli.engine.params import init_matrix, uniform

Array = np.ndarray


def scatter_add_rows(target: Array, ids: Array, rows: Array) -> Array:
    """target[ids[k]] += rows[k] for every k, repeated ids summed (a sort and one reduceat).

    Returns the distinct ids, sorted: the rows of `target` that were written."""
    ids = ids.reshape(-1)
    rows = rows.reshape(ids.size, -1)
    order = xp.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    starts = xp.flatnonzero(xp.r_[True, sorted_ids[1:] != sorted_ids[:-1]])
    distinct = sorted_ids[starts]
    target[distinct] += xp.add.reduceat(rows[order], starts, axis=0)
    return distinct


class Embedding(Module):
    """e_t = E[id_t]: a [vocab_size, dim] lookup table; row `padding_id` stays zero, no gradient.

    `frozen` embeddings compute no gradient at all (a pretrained matrix kept fixed). ∂L/∂E is
    non-zero only in the rows of the batch's ids; backward lists them, sorted, in
    `grad_rows["weight"]` (what a lazy optimiser updates), and clears just those rows next time.
    """

    row_sparse = ("weight",)

    def __init__(self, vocab_size: int, dim: int, *, rng: np.random.Generator, dtype=np.float32,
                 padding_id: int | None = 0, pretrained: Array | None = None,
                 frozen: bool = False, scale: float = 0.1) -> None:
        super().__init__()
        if pretrained is not None:
            weight = xp.asarray(pretrained, dtype=dtype).copy()
        else:
            weight = uniform(rng, (vocab_size, dim), scale, dtype)
        if padding_id is not None:
            weight[padding_id] = 0
        self.add_param("weight", weight)
        self.padding_id = padding_id
        self.frozen = frozen
        self.dim = dim

    def forward(self, ids: Array) -> tuple[Array, Callable[[Array], None]]:
        """ids [T, B] -> vectors [T, B, dim]; backward sets ∂L/∂E (ids are data: no return)."""
        weight = self.params["weight"]

        def backward(d_out: Array) -> None:
            grad = self.grads["weight"]
            written = self.grad_rows.get("weight")
            if written is None:
                grad.fill(0)
            else:
                grad[written] = 0
            if self.frozen:
                self.grad_rows["weight"] = xp.empty(0, dtype=np.intp)
                return
            rows = scatter_add_rows(grad, ids, d_out)
            if self.padding_id is not None:
                grad[self.padding_id] = 0
                rows = rows[rows != self.padding_id]
            self.grad_rows["weight"] = rows

        return weight[ids], backward


class Linear(Module):
    """y = x Wᵀ + b over the last axis: W [out, in], b [out]."""

    def __init__(self, in_size: int, out_size: int, *, rng: np.random.Generator,
                 dtype=np.float32, init: str = "glorot", scale: float = 0.1) -> None:
        super().__init__()
        self.add_param("weight", init_matrix(rng, (out_size, in_size), init, scale, dtype))
        self.add_param("bias", xp.zeros(out_size, dtype=dtype))

    def forward(self, x: Array) -> tuple[Array, Callable[[Array], Array]]:
        weight = self.params["weight"]
        x2d = x.reshape(-1, x.shape[-1])
        y = x2d @ weight.T
        y += self.params["bias"]

        def backward(d_y: Array) -> Array:
            d2d = d_y.reshape(-1, d_y.shape[-1])
            self.grads["weight"][...] = d2d.T @ x2d             # ∂L/∂W = Σ ∂L/∂y xᵀ
            xp.sum(d2d, axis=0, out=self.grads["bias"])       # ∂L/∂b = Σ ∂L/∂y
            return (d2d @ weight).reshape(x.shape)            # ∂L/∂x = ∂L/∂y W

        return y.reshape(*x.shape[:-1], -1), backward
