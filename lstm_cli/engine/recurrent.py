"""The time loop over a padded, masked batch; stacking; bidirectional layers.

Batches are time-major, `x` [T, B, features], with per-sequence `lengths` [B]. The loop works on
batches sorted by length, longest first, so at step t the active sequences are rows
[:batch_sizes[t]] (PyTorch's packed layout without the packing): steps past a sequence's end are
never read or written, so they change no state, output, loss or gradient. `RecurrentStack` sorts
an unsorted batch itself and restores the order of its outputs.

The schedule that makes NumPy fast:
  forward   one GEMM for the input projections of all steps, then per step one GEMM R h_{t−1}
            and the cell's elementwise equations, in place in preallocated buffers;
  backward  per step the cell's equations and one GEMM ∂L/∂a_t R; the gate gradients of all
            steps are kept, so ∂L/∂W, ∂L/∂R, ∂L/∂b and ∂L/∂x are each one GEMM over all steps.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lstm_cli.engine.backend import xp
from lstm_cli.engine.cells import Cell, make_cell, shifted
from lstm_cli.engine.module import Module

Array = np.ndarray
Backward = Callable[[Array], Array]


def batch_sizes_for(lengths: Array, steps: int) -> Array:
    """batch_sizes[t] = number of sequences with length > t (lengths sorted descending)."""
    return (lengths[None, :] > np.arange(steps)[:, None]).sum(axis=1)


class Recurrent(Module):
    """One cell unrolled over time in one direction (`reverse` runs each sequence end to start)."""

    def __init__(self, cell: Cell, reverse: bool = False) -> None:
        super().__init__()
        self.cell = cell
        self.params, self.grads = cell.params, cell.grads   # a layer is named by its cell's params
        self.reverse = reverse

    def forward(self, x: Array, batch_sizes: Array) -> tuple[Array, Backward]:
        """h for every step (T, B, H), zero past each sequence's end, and the backward function."""
        cell = self.cell
        steps, batch, inputs = x.shape
        w_input, w_hidden = cell.params["w_input"], cell.params["w_hidden"]
        x2d = x.reshape(steps * batch, inputs)
        gates = (x2d @ w_input.T).reshape(steps, batch, cell.gate_size)  # (T, B, G·H): W x_t
        gates += cell.params["bias"]                                     # ... + b
        active = [int(size) for size in batch_sizes]
        for t in range(steps):           # nothing past a sequence's end is read, in either pass
            gates[t, active[t]:] = 0
        tape = cell.new_tape(gates)
        hidden = tape["h"]
        recurrent = xp.empty((batch, cell.gate_size), dtype=x.dtype)
        w_hidden_t = xp.ascontiguousarray(w_hidden.T)  # matmul(out=) is only fast on C-order
        order = range(steps - 1, -1, -1) if self.reverse else range(steps)
        step_back = 1 if self.reverse else -1
        for t in order:
            n = active[t]
            if n == 0:
                continue
            prev = t + step_back
            if 0 <= prev < steps and active[prev] > 0:
                xp.matmul(hidden[prev, :n], w_hidden_t, out=recurrent[:n])  # R h_{t−1}
                cell.forward_step(tape, t, prev, n, recurrent[:n])
            else:
                cell.forward_step(tape, t, None, n, None)

        def backward(d_hidden: Array) -> Array:
            """∂L/∂h (T, B, H) -> ∂L/∂x (T, B, I); writes the cell's parameter gradients."""
            cell.start_backward(tape)
            d_h_next = xp.zeros((batch, cell.hidden_size), dtype=x.dtype)  # ∂L/∂h_t via step t+1
            d_h = xp.empty_like(d_h_next)
            for t in reversed(order):
                n = active[t]
                if n == 0:
                    continue
                prev = t + step_back
                has_prev = 0 <= prev < steps and active[prev] > 0
                xp.add(d_hidden[t, :n], d_h_next[:n], out=d_h[:n])
                d_recurrent, direct = cell.backward_step(tape, t, prev if has_prev else None,
                                                         n, d_h[:n])
                if has_prev:                          # ∂L/∂h_{t−1} = R^T ∂L/∂(R h_{t−1}) (+ direct)
                    xp.matmul(d_recurrent, w_hidden, out=d_h_next[:n])
                    if direct is not None:
                        d_h_next[:n] += direct
            d_gates = gates.reshape(steps * batch, cell.gate_size)  # ∂L/∂a for all steps
            cell.grads["w_input"][...] = d_gates.T @ x2d         # ∂L/∂W = Σ_t ∂L/∂a_t x_t^T
            xp.sum(d_gates, axis=0, out=cell.grads["bias"])      # ∂L/∂b = Σ_t ∂L/∂a_t
            now, before = shifted(self.reverse)                  # ∂L/∂R = Σ_t ∂L/∂(Rh)_t h_{t−1}^T
            d_rec = cell.recurrent_gate_grads(tape)[now].reshape(-1, cell.gate_size)
            cell.grads["w_hidden"][...] = d_rec.T @ hidden[before].reshape(-1, cell.hidden_size)
            cell.finish_backward(tape, self.reverse)
            return (d_gates @ w_input).reshape(steps, batch, inputs)  # ∂L/∂x_t = W^T ∂L/∂a_t

        return hidden, backward


class RecurrentStack(Module):
    """`num_layers` recurrent layers, each one or two directions; inverted dropout between layers.

    A bidirectional layer runs a forward and a reverse copy of the cell over the same input and
    concatenates their outputs, [h_fwd ; h_bwd] (T, B, 2H), as PyTorch does. Parameters are named
    `l{layer}.fwd.*` and `l{layer}.bwd.*`.
    """

    def __init__(self, cell: str, input_size: int, hidden_size: int, *, num_layers: int = 1,
                 bidirectional: bool = False, dropout: float = 0.0, rng: np.random.Generator,
                 **cell_options) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.layers: list[list[Recurrent]] = []
        directions = ("fwd", "bwd") if bidirectional else ("fwd",)
        size = input_size
        for layer in range(num_layers):
            units = []
            for direction in directions:
                unit = Recurrent(make_cell(cell, size, hidden_size, rng=rng, **cell_options),
                                 reverse=direction == "bwd")
                self.add_child(f"l{layer}.{direction}", unit)
                units.append(unit)
            self.layers.append(units)
            size = hidden_size * len(directions)
        self.output_size = size

    def forward(self, x: Array, lengths: Array, *, train: bool = False,
                rng: np.random.Generator | None = None) -> tuple[Array, Backward]:
        """Outputs of the top layer (T, B, output_size), zero past each sequence's end."""
        lengths = np.asarray(lengths)
        order = np.argsort(-lengths, kind="stable")
        is_sorted = bool(np.all(order == np.arange(len(lengths))))
        if not is_sorted:
            x, lengths = x[:, order], lengths[order]
        batch_sizes = batch_sizes_for(lengths, x.shape[0])
        backwards: list[Backward] = []
        for index, units in enumerate(self.layers):
            if index > 0 and train and self.dropout > 0:
                x, drop_backward = dropout(x, self.dropout, rng)
                backwards.append(drop_backward)
            x, layer_backward = self._layer_forward(units, x, batch_sizes)
            backwards.append(layer_backward)
        if not is_sorted:
            x = x[:, np.argsort(order)]

        def backward(d_out: Array) -> Array:
            d = d_out if is_sorted else d_out[:, order]
            for layer_backward in reversed(backwards):
                d = layer_backward(d)
            return d if is_sorted else d[:, np.argsort(order)]

        return x, backward

    def _layer_forward(self, units: list[Recurrent], x: Array,
                       batch_sizes: Array) -> tuple[Array, Backward]:
        if len(units) == 1:
            return units[0].forward(x, batch_sizes)
        (h_fwd, back_fwd), (h_bwd, back_bwd) = (unit.forward(x, batch_sizes) for unit in units)
        hidden = self.hidden_size

        def backward(d_out: Array) -> Array:
            d_x = back_fwd(xp.ascontiguousarray(d_out[..., :hidden]))
            d_x += back_bwd(xp.ascontiguousarray(d_out[..., hidden:]))
            return d_x

        return xp.concatenate([h_fwd, h_bwd], axis=2), backward


def dropout(x: Array, rate: float, rng: np.random.Generator | None) -> tuple[Array, Backward]:
    """Inverted dropout: y = x ⊙ m / (1 − rate), m ~ Bernoulli(1 − rate); identity at rate 0."""
    if rng is None:
        raise ValueError("dropout in training needs a numpy Generator")
    keep = (rng.random(x.shape) >= rate).astype(x.dtype)
    keep *= 1.0 / (1.0 - rate)

    def backward(d_y: Array) -> Array:
        return d_y * keep

    return x * keep, backward
