"""Both directions of a bidirectional fused-LSTM layer advanced by one NumPy call per operation.

`recurrent.layer_forward` runs the forward and the reverse direction one after the other, about
ten NumPy calls per step and direction. On small shapes each call costs about a microsecond
whatever its size, so this loop stacks the two directions along a leading axis of 2 and issues
every call once for both: R h_{t−1} as one batched product, and
`FusedLSTMCell.forward_equations` / `backward_equations` over gate-major [4, 2, m, H] steps
(`fused_loop.py`, which also runs a single direction).

Slot s holds the forward direction's step s and the reverse direction's step T−1−s, so the
reverse direction's buffers are its own steps in reverse time (its input projections come from
a time-reversed copy of x). With the batch sorted by length, longest first, the active rows at
slot s are a prefix for each direction: n_s forward, n_{T−1−s} reverse. The loop computes the
first m_s = max of the two rows of both directions; the rows it computes beyond a direction's
own prefix are harmless:

  * reverse rows before their sequence starts read zero input (the input projections of steps
    past a sequence's end are zeroed, bias included) and a zero state, and an LSTM maps those
    to exactly zero: a = 0 gives i = f = o = ½, g = 0, so c_t = 0 and h_t = 0. Their gradients
    can be anything and are zeroed once after the backward loop, before ∂W, ∂R, ∂b and ∂x.
  * forward rows past their sequence's end continue the recurrence on zero input. Their h is
    masked out of the layer output, and ∂L/∂h there is masked to zero when it comes in, so
    their ∂L/∂c, ∂L/∂a and ∂L/∂h_{t−1} are exactly zero (0 times a finite number) and nothing
    reaches the sequence's real steps.

When the lengths differ a lot, m_s exceeds both prefixes on many slots and the stacked loop
does more elementwise work than the two separate loops: `stacking_pays` decides per batch.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lstm_cli.engine.backend import xp
from lstm_cli.engine.cells import FusedLSTMCell, Workspace, scaled, zero_past_ends
from lstm_cli.engine.fused_loop import step_schedule, taped_loop

Array = np.ndarray

#: The stacked loop is taken while its computed rows are at most this factor of the rows the
#: two separate loops compute (per-step call savings outweigh that much extra elementwise work).
EXTRA_ROWS_ALLOWED = 1.25


def stacking_pays(cells: list, batch_sizes: Array) -> bool:
    """Whether a layer of these cells over batches of these `batch_sizes` runs stacked."""
    if len(cells) != 2 or not all(type(cell) is FusedLSTMCell for cell in cells):
        return False
    reverse = batch_sizes[::-1]
    stacked_rows = 2 * int(xp.maximum(batch_sizes, reverse).sum())
    return stacked_rows <= EXTRA_ROWS_ALLOWED * 2 * int(batch_sizes.sum())


def slot_rows(sizes: list[int]) -> list[int]:
    """The rows slot s computes: m_s = max(n_s, n_{T−1−s}) of the directions' batch sizes."""
    return [max(size, reverse_size) for size, reverse_size in zip(sizes, sizes[::-1],
                                                                    strict=True)]


def unstack(h: Array, batch_sizes: Array) -> tuple[Array, Array | None]:
    """[h_fwd ; h_bwd] (T, B, 2H) from the slot-major stack `h` (2, T, B, H): the forward
    direction's rows past a sequence's end zeroed, the reverse direction's slots put back in
    time order (its rows before a sequence's start are exactly 0 already); and the mask
    (T, B, 1) of rows within their sequence, None when every row is."""
    _, steps, batch, hidden_size = h.shape
    mask = None
    if batch_sizes[-1] < batch:
        mask = (xp.arange(batch)[None, :] < batch_sizes[:, None]).astype(h.dtype)[..., None]
    output = xp.empty((steps, batch, 2 * hidden_size), dtype=h.dtype)
    scaled(h[0], mask, output[..., :hidden_size])
    xp.copyto(output[..., hidden_size:], h[1, ::-1])
    return output, mask


def bidirectional_forward(cells: list[FusedLSTMCell], workspace: Workspace, lent: dict,
                          x: Array, batch_sizes: Array, w_input: Array, bias: Array,
                          dtype, *, input_grad: bool
                          ) -> tuple[Array, Callable[[Array], Array | None]]:
    """[h_fwd ; h_bwd] (T, B, 2H), zero past each sequence's end, and the backward function
    (∂L/∂out -> ∂L/∂x, or None without `input_grad`), which also writes both cells' ∂W, ∂R, ∂b.
    `w_input` and `bias` are `recurrent.forward_weights`' scaled operands."""
    steps, batch, inputs = x.shape
    hidden_size, gate_size = cells[0].hidden_size, cells[0].gate_size
    sizes = [int(size) for size in batch_sizes]
    ragged = sizes[-1] < batch

    def take(name: str, shape: tuple[int, ...], zero: bool = False) -> Array:
        return workspace.take(lent, name, shape, dtype, zero)

    x2d = x.reshape(steps * batch, inputs)
    x_reversed = take("x_reversed", x.shape)
    xp.copyto(x_reversed, x[::-1])
    x_reversed2d = x_reversed.reshape(steps * batch, inputs)
    gates = take("stacked_gates", (2, steps, batch, gate_size))   # slot-major per direction
    xp.matmul(x2d, w_input[:gate_size].T, out=gates[0].reshape(steps * batch, gate_size))
    xp.matmul(x_reversed2d, w_input[gate_size:].T, out=gates[1].reshape(steps * batch,
                                                                          gate_size))
    gates += bias.reshape(2, 1, 1, gate_size)
    if ragged:
        zero_past_ends(gates[0], sizes)
        zero_past_ends(gates[1], sizes[::-1])
    state = (2, steps, batch, hidden_size)
    h = take("stacked_h", state, zero=ragged)  # rows a slot does not compute read 0 when ragged
    loop_backward = taped_loop(cells, gates, h, step_schedule(range(steps), slot_rows(sizes)),
                               workspace, lent, zero_state=ragged)
    output, mask = unstack(h, batch_sizes)

    def backward(d_output: Array) -> Array | None:
        d_h_all = take("stacked_d_h_all", state)
        scaled(d_output[..., :hidden_size], mask, d_h_all[0])
        xp.copyto(d_h_all[1], d_output[::-1, :, hidden_size:])
        w_hidden = take("w_hidden_unscaled", (2, gate_size, hidden_size))
        xp.stack([cell.params["w_hidden"] for cell in cells], out=w_hidden)
        loop_backward(d_h_all, w_hidden)
        if ragged:                             # reverse rows before their sequence's start
            gates[1] *= mask[::-1]
        for k, (cell_k, source) in enumerate(zip(cells, (x2d, x_reversed2d), strict=True)):
            d_gates = gates[k].reshape(steps * batch, gate_size)
            xp.matmul(d_gates.T, source, out=cell_k.grads["w_input"])  # ∂W = Σ ∂a_t x_tᵀ
            xp.sum(d_gates, axis=0, out=cell_k.grads["bias"])
            xp.matmul(gates[k, 1:].reshape(-1, gate_size).T,            # ∂R = Σ ∂a_t h_{t−1}ᵀ
                      h[k, :-1].reshape(-1, hidden_size), out=cell_k.grads["w_hidden"])
        if not input_grad:
            return None
        d_x = gates[0].reshape(steps * batch, gate_size) @ cells[0].params["w_input"]
        d_x_reversed = xp.matmul(gates[1].reshape(steps * batch, gate_size),
                                 cells[1].params["w_input"], out=x_reversed2d)
        d_x = d_x.reshape(steps, batch, inputs)
        d_x += d_x_reversed.reshape(steps, batch, inputs)[::-1]    # ∂L/∂x_t = Wᵀ ∂L/∂a_t
        return d_x

    return output, workspace.lend_until_dropped(backward, lent)
