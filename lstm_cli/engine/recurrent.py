"""The time loop over a padded, masked batch; stacking; bidirectional layers.

Batches are time-major, `x` [T, B, features], with per-sequence `lengths` [B]. The loop works on
batches sorted by length, longest first, so at step t the active sequences are rows
[:batch_sizes[t]] (PyTorch's packed layout without the packing): steps past a sequence's end are
never read or written, so they change no state, output, loss or gradient. `RecurrentStack` sorts
an unsorted batch itself and restores the order of its outputs.

The schedule that makes NumPy fast:
  forward   one GEMM for the input projections of all steps (of both directions of a layer),
            then per step one GEMM R h_{t−1} and the cell's elementwise equations, in place in
            preallocated buffers; each direction writes h_t into its half of the layer output;
  backward  per step the cell's equations and one GEMM ∂L/∂a_t R; the gate gradients of all
            steps are kept, so ∂L/∂W, ∂L/∂R, ∂L/∂b and ∂L/∂x are each one GEMM over all steps.
A forward pass that will not be differentiated (`keep_tape=False`: evaluation, predict) keeps no
tape: the fused LSTM runs `forward_only.py`'s loop (c_t updated in place, gate-major steps, only
h_t written per step); other cells run the taped loop and drop the tape at once.
Internal buffers come from each unit's `Workspace` and are reused by the next batch once the
backward function that reads them has been dropped (see cells.Workspace).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lstm_cli.engine.backend import xp
from lstm_cli.engine.bidirectional import bidirectional_forward, stacking_pays
from lstm_cli.engine.cells import (
    Cell,
    FusedLSTMCell,
    Tape,
    Workspace,
    make_cell,
    scaled,
    shifted,
    zero_past_ends,
)
from lstm_cli.engine.forward_only import lstm_layer_without_tape
from lstm_cli.engine.fused_loop import Schedule, step_schedule, taped_loop
from lstm_cli.engine.module import Module

Array = np.ndarray
Backward = Callable[[Array], Array]


def batch_sizes_for(lengths: Array, steps: int) -> Array:
    """batch_sizes[t] = number of sequences with length > t (lengths sorted descending)."""
    return (lengths[None, :] > xp.arange(steps)[:, None]).sum(axis=1)


class Recurrent(Module):
    """One cell unrolled over time in one direction (`reverse` runs each sequence end to start)."""

    def __init__(self, cell: Cell, reverse: bool = False) -> None:
        super().__init__()
        self.cell = cell
        self.params, self.grads = cell.params, cell.grads   # a layer is named by its cell's params
        self.reverse = reverse
        self.workspace = Workspace()

    def forward(self, x: Array, batch_sizes: Array) -> tuple[Array, Backward]:
        """h for every step (T, B, H), zero past each sequence's end, and the backward function."""
        return layer_forward([self], x, batch_sizes)

    def run(self, gates: Array, hidden: Array, w_hidden_t: Array | None,
            batch_sizes: Array) -> Callable[[Array], None]:
        """The time loop: from the input projections `gates` (T, B, G·H) and the forward weights'
        `w_hidden_t`, write h_t into `hidden` (T, B, H; zeros). Returns the backward loop, which
        takes ∂L/∂h (T, B, H), turns `gates` into ∂L/∂a in place and sets ∂L/∂R (and the cell's
        own extra gradients). Either array may be a view into a layer's wider buffer."""
        cell = self.cell
        steps, batch, _ = gates.shape
        dtype = gates.dtype
        active = [int(size) for size in batch_sizes]
        zero_past_ends(gates, active)    # nothing past a sequence's end is read, in either pass
        schedule = step_schedule(range(steps - 1, -1, -1) if self.reverse else range(steps),
                                 active)
        if type(cell) is FusedLSTMCell:
            return self.run_fused(gates, hidden, schedule, min(active) < batch)
        now, before = shifted(self.reverse)
        tape = Tape(self.workspace, gates=gates, h=hidden)
        cell.add_buffers(tape)
        recurrent = tape.take("recurrent", (batch, cell.gate_size), dtype, zero=False)
        for t, n, prev in schedule:
            if prev is None:
                cell.forward_step(tape, t, None, n, None)
            else:
                xp.matmul(hidden[prev, :n], w_hidden_t, out=recurrent[:n])  # R h_{t−1}
                cell.forward_step(tape, t, prev, n, recurrent[:n])

        def backward(d_hidden: Array) -> None:
            cell.start_backward(tape)
            w_hidden = cell.params["w_hidden"]
            d_h_next = tape.take("d_h_next", (batch, cell.hidden_size), dtype)  # via step t+1
            d_h = tape.take("d_h", (batch, cell.hidden_size), dtype, zero=False)
            for t, n, prev in reversed(schedule):
                xp.add(d_hidden[t, :n], d_h_next[:n], out=d_h[:n])
                d_recurrent, direct = cell.backward_step(tape, t, prev, n, d_h[:n])
                if prev is not None:                  # ∂L/∂h_{t−1} = R^T ∂L/∂(R h_{t−1}) (+ direct)
                    xp.matmul(d_recurrent, w_hidden, out=d_h_next[:n])
                    if direct is not None:
                        d_h_next[:n] += direct
            d_rec = cell.recurrent_gate_grads(tape)[now].reshape(-1, cell.gate_size)
            xp.matmul(d_rec.T, hidden[before].reshape(-1, cell.hidden_size),
                      out=cell.grads["w_hidden"])     # ∂L/∂R = Σ_t ∂L/∂(Rh)_t h_{t−1}^T
            cell.finish_backward(tape, self.reverse)

        return self.workspace.lend_until_dropped(backward, tape.lent)

    def run_fused(self, gates: Array, hidden: Array, schedule: Schedule,
                  ragged: bool) -> Callable[[Array], None]:
        """`run` for a FusedLSTMCell: the gate-major loop of `fused_loop.py` with D = 1."""
        cell, lent = self.cell, {}
        hidden_size = cell.hidden_size
        loop_backward = taped_loop([cell], gates[None], hidden[None], schedule, self.workspace,
                                   lent, zero_state=ragged)
        now, before = shifted(self.reverse)

        def backward(d_hidden: Array) -> None:
            loop_backward(d_hidden[None], cell.params["w_hidden"][None])
            xp.matmul(gates[now].reshape(-1, cell.gate_size).T,    # ∂L/∂R = Σ_t ∂L/∂a_t h_{t−1}ᵀ
                      hidden[before].reshape(-1, hidden_size), out=cell.grads["w_hidden"])

        return self.workspace.lend_until_dropped(backward, lent)


def forward_weights(cells: list[Cell], workspace: Workspace, lent: dict[str, Array],
                    dtype) -> tuple[Array, Array, list[Array | None]]:
    """The forward products' operands for cells reading the same input: W = [W_1 ; W_2 ; …]
    (k·G·H, I), b likewise, and each Rᵀ (H, G·H) as a C-ordered copy (the per-step product is
    faster with it; None for a FusedLSTMCell, whose loops lay R out themselves:
    `fused_loop.RecurrentProduct`), each cell's `preactivation_scale` folded into its rows."""
    first = cells[0]
    scales = [cell.preactivation_scale for cell in cells]
    if len(cells) == 1 and scales[0] is None:            # the parameters themselves will do
        w_input, bias = first.params["w_input"], first.params["bias"]
    else:
        size = len(cells) * first.gate_size
        w_input = workspace.take(lent, "w_input", (size, first.input_size), dtype, zero=False)
        bias = workspace.take(lent, "bias", (size,), dtype, zero=False)
        for k, (cell, scale) in enumerate(zip(cells, scales, strict=True)):
            rows = slice(k * cell.gate_size, (k + 1) * cell.gate_size)
            scaled(cell.params["w_input"], None if scale is None else scale[:, None],
                    w_input[rows])
            scaled(cell.params["bias"], scale, bias[rows])
    w_hidden_t = [None if type(cell) is FusedLSTMCell else scaled(
        cell.params["w_hidden"].T, scale, workspace.take(
            lent, f"w_hidden_t{k}", (cell.hidden_size, cell.gate_size), dtype, zero=False))
        for k, (cell, scale) in enumerate(zip(cells, scales, strict=True))]
    return w_input, bias, w_hidden_t


def layer_forward(units: list[Recurrent], x: Array, batch_sizes: Array, *,
                  input_grad: bool = True, keep_tape: bool = True, rows: Array | None = None
                  ) -> tuple[Array, Backward | None]:
    """Outputs [h_1 ; h_2 ; …] (T, B, k·H) of k units reading the same input, and the backward
    (None without `keep_tape`: a forward pass that will not be differentiated). With `rows`
    (T, B) ints, `x` holds distinct input vectors (N, I) and step t of column b reads
    x[rows[t, b]] (see `RecurrentStack.forward`).

    The units' input projections are one GEMM, x [W_1 ; W_2 ; …]ᵀ (T·B, k·G·H), and so is ∂L/∂x
    in the backward pass (skipped, and None returned, without `input_grad`: nothing upstream
    learns); each unit's time loop reads its block of those projections and writes h_t straight
    into its block of the output, so directions are never concatenated.
    """
    cells = [unit.cell for unit in units]
    fused_without_tape = not keep_tape and all(type(cell) is FusedLSTMCell for cell in cells)
    if rows is not None and not fused_without_tape:
        x, rows = x[rows], None                           # the (T, B, I) input itself
    steps, batch, inputs = x.shape if rows is None else (*rows.shape, x.shape[-1])
    gate_size, hidden_size = cells[0].gate_size, cells[0].hidden_size
    dtype = xp.result_type(x, cells[0].params["w_input"])
    lent: dict[str, Array] = {}
    workspace = units[0].workspace
    w_input, bias, w_hidden_t = forward_weights(cells, workspace, lent, dtype)
    stacked = stacking_pays(cells, batch_sizes)
    if fused_without_tape:
        output = lstm_layer_without_tape(cells, [unit.reverse for unit in units], workspace,
                                         x, batch_sizes, w_input, bias, stacked=stacked,
                                         rows=rows)
        workspace.give_back(lent)
        return output, None
    if stacked:
        return bidirectional_forward(cells, workspace, lent, x, batch_sizes, w_input, bias,
                                     dtype, input_grad=input_grad)
    x2d = x.reshape(steps * batch, inputs)
    gates = workspace.take(lent, "layer_gates", (steps, batch, len(units) * gate_size), dtype,
                           zero=False)
    xp.matmul(x2d, w_input.T, out=gates.reshape(steps * batch, -1))   # (T, B, k·G·H): W x_t
    gates += bias                                                        # ... + b
    hidden = xp.zeros((steps, batch, len(units) * hidden_size), dtype=dtype)
    gate_blocks = [slice(k * gate_size, (k + 1) * gate_size) for k in range(len(units))]
    hidden_blocks = [slice(k * hidden_size, (k + 1) * hidden_size) for k in range(len(units))]
    loops = [unit.run(gates[..., gate_blocks[k]], hidden[..., hidden_blocks[k]], w_hidden_t[k],
                      batch_sizes) for k, unit in enumerate(units)]

    def backward(d_hidden: Array) -> Array | None:
        """∂L/∂h (T, B, k·H) -> ∂L/∂x (T, B, I) or None; writes the cells' parameter gradients."""
        for loop_backward, block in zip(loops, hidden_blocks, strict=True):
            loop_backward(d_hidden[..., block])
        d_gates = gates.reshape(steps * batch, -1)                   # ∂L/∂a for all steps
        for cell, block in zip(cells, gate_blocks, strict=True):
            d_cell = d_gates[:, block]
            xp.matmul(d_cell.T, x2d, out=cell.grads["w_input"])     # ∂L/∂W = Σ_t ∂L/∂a_t x_tᵀ
            xp.sum(d_cell, axis=0, out=cell.grads["bias"])          # ∂L/∂b = Σ_t ∂L/∂a_t
        if not input_grad:
            return None
        if len(cells) == 1:
            w_stacked = cells[0].params["w_input"]
        else:
            w_stacked = workspace.take(lent, "w_stacked", (d_gates.shape[1], inputs), dtype,
                                       zero=False)
            xp.concatenate([cell.params["w_input"] for cell in cells], out=w_stacked)
        return (d_gates @ w_stacked).reshape(steps, batch, inputs)  # ∂L/∂x_t = Wᵀ ∂L/∂a_t

    if not keep_tape:                # the loops' tapes go back with their dropped backwards
        workspace.give_back(lent)
        return hidden, None
    return hidden, workspace.lend_until_dropped(backward, lent)


class RecurrentStack(Module):
    """`num_layers` recurrent layers, each one or two directions; inverted dropout between layers.

    A bidirectional layer runs a forward and a reverse copy of the cell over the same input; its
    output is [h_fwd ; h_bwd] (T, B, 2H), as PyTorch's (`layer_forward`). Parameters are named
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
                rng: np.random.Generator | None = None, input_grad: bool = True,
                keep_tape: bool = True, rows: Array | None = None
                ) -> tuple[Array, Backward | None]:
        """Outputs of the top layer (T, B, output_size), zero past each sequence's end, and the
        backward function: ∂L/∂out -> ∂L/∂x, or None without `input_grad`. Without
        `keep_tape` (nothing will be differentiated) the same outputs and None: nothing is
        kept for a backward pass (see `layer_forward`).

        With `rows` (T, B) ints, `x` holds only the distinct input vectors (N, I) and the input
        at step t of column b is x[rows[t, b]]: a tagger whose inputs are a function of the
        word type passes one row per type, and the first layer's input projections are then
        computed once per type (`forward_only.py`; other cells expand x first). Only without
        `keep_tape`: a backward pass would owe ∂L/∂x per step, not per row."""
        if rows is not None and keep_tape:
            raise ValueError("rows= is for a forward pass without a tape (keep_tape=False)")
        lengths = xp.asarray(lengths)
        order = xp.argsort(-lengths, kind="stable")
        is_sorted = bool(xp.all(order == xp.arange(len(lengths))))
        if not is_sorted:
            lengths = lengths[order]
            if rows is None:
                x = x[:, order]
            else:
                rows = rows[:, order]
        batch_sizes = batch_sizes_for(lengths, (x if rows is None else rows).shape[0])
        backwards: list[Backward] = []
        for index, units in enumerate(self.layers):
            if index > 0 and train and self.dropout > 0:
                x, drop_backward = dropout(x, self.dropout, rng)
                backwards.append(drop_backward)
            x, layer_backward = layer_forward(units, x, batch_sizes,
                                              input_grad=input_grad or index > 0,
                                              keep_tape=keep_tape,
                                              rows=rows if index == 0 else None)
            backwards.append(layer_backward)
        if not is_sorted:
            x = x[:, xp.argsort(order)]
        if not keep_tape:
            return x, None

        def backward(d_out: Array) -> Array | None:
            d = d_out if is_sorted else d_out[:, order]
            for layer_backward in reversed(backwards):
                d = layer_backward(d)
            return d if is_sorted or d is None else d[:, xp.argsort(order)]

        return x, backward


def dropout(x: Array, rate: float, rng: np.random.Generator | None) -> tuple[Array, Backward]:
    """Inverted dropout: y = x ⊙ m / (1 − rate), m ~ Bernoulli(1 − rate); identity at rate 0."""
    if rng is None:
        raise ValueError("dropout in training needs a numpy Generator")
    keep = (rng.random(x.shape) >= rate).astype(x.dtype)
    keep *= 1.0 / (1.0 - rate)

    def backward(d_y: Array) -> Array:
        return d_y * keep

    return x * keep, backward
