"""The fused LSTM's forward pass when nothing will be differentiated: no tape, gate-major buffers.

Evaluation and predict run `recurrent.layer_forward(..., keep_tape=False)`, which hands a layer
of `FusedLSTMCell`s here (other cells run the taped loop and drop the tape). The equations and
the ½-scaled operands are the taped loop's (`FusedLSTMCell.forward_equations`, gate-major there
too: `fused_loop.py`), and every h_t is bit for bit the taped loop's; what differs is what is
kept and how it is laid out:

  * no tape: c_t is updated in place in one (D, B, H) buffer, tanh(c_t) lives in a scratch
    buffer, and only h_t is written to a [T, B, ·] array (it is the layer's output);
  * gate-major steps: R h_{t−1} + W x_t + b lands in a contiguous [4, D, m, H] buffer
    (`fused_loop.RecurrentProduct`: R split per gate k of [ i | f | o | g ], one batched
    matmul, with the step's input projections added through a [4, D, m, H] view of their
    usual [D, T, B, 4H] buffer, one GEMM per direction over all steps as in the taped loop;
    or, where that is faster, one wide [D, m, 4H] product to which the projections are added
    contiguously, copied gate-major: `fused_loop.gate_major_product`). Every
    elementwise call of the step then runs over a contiguous array: a gate block, or the
    sigmoid block [ i | f | o ] (the first three). NumPy's loops over a row-strided [m, 3H]
    slice of an [m, 4H] block cost 2–3× the contiguous one at these sizes, and the taped
    layout pays that on most calls of every step. (Computing the projections gate-major too,
    one GEMM per gate, was slower: each GEMM packs X again.)

A tagger whose inputs are a function of the word type hands the first layer one input row per
distinct word and the row each step reads (`rows`): W x + b is then computed once per row and
gathered per step, instead of once per step (`SequenceTagger.word_type_inputs`).

D is 2 for both directions of a bidirectional layer stacked as in `bidirectional.py` (slot s
holds the forward direction's step s and the reverse direction's step T−1−s, computed over the
first m_s = max(n_s, n_{T−1−s}) rows), and 1 for a single direction.

Rows a step does not compute keep the c of the last step that did (the taped loop would read
zero there), which is harmless: going forwards the active rows only shrink, so a row left out
is past its sequence's end and its h is masked (stacked) or never read (one direction); going
in reverse a row left out is before its sequence's start, where every value it ever held is
exactly zero (zero input and zero state give i = f = o = ½, g = 0, c = 0, h = 0).
"""

from __future__ import annotations

import numpy as np

from lstm_cli.engine.backend import xp
from lstm_cli.engine.bidirectional import slot_rows, unstack
from lstm_cli.engine.cells import FusedLSTMCell, Workspace, zero_past_ends
from lstm_cli.engine.fused_loop import RecurrentProduct, Schedule, step_schedule

Array = np.ndarray


def lstm_layer_without_tape(cells: list[FusedLSTMCell], reverse: list[bool],
                            workspace: Workspace, x: Array, batch_sizes: Array, w_input: Array,
                            bias: Array, *, stacked: bool, rows: Array | None = None) -> Array:
    """[h_1 ; …] (T, B, k·H) of k fused-LSTM units reading `x` (T, B, I), zero past each
    sequence's end, from `recurrent.forward_weights`' scaled `w_input` (k·4H, I) and `bias`
    (k·4H,); `stacked` runs a bidirectional pair's directions in one loop
    (`bidirectional.stacking_pays`). With `rows` (T, B), `x` holds distinct input vectors
    (N, I), step t of column b reading x[rows[t, b]]: their projections W x + b are computed
    once per distinct vector (N rows instead of T·B) and gathered per step."""
    steps, batch, inputs = x.shape if rows is None else (*rows.shape, x.shape[-1])
    k, hidden_size = len(cells), cells[0].hidden_size
    dtype = xp.result_type(x, w_input)
    lent: dict[str, Array] = {}

    def take(name: str, shape: tuple[int, ...], zero: bool = False) -> Array:
        return workspace.take(lent, name, shape, dtype, zero)

    projections = take("projections", (k, steps, batch, 4 * hidden_size))
    w_input = w_input.reshape(k, 4 * hidden_size, inputs)
    if rows is not None:                         # W_d x_n + b_d once per distinct x_n
        distinct = take("distinct_projections", (k, len(x), 4 * hidden_size))
        xp.matmul(x, w_input.transpose(0, 2, 1), out=distinct)
        distinct += bias.reshape(k, 1, 4 * hidden_size)
        for d in range(k):                       # the reverse direction reads rows back to front
            step_rows = rows[::-1] if stacked and d == 1 else rows
            xp.take(distinct[d], step_rows.reshape(-1), axis=0, mode="clip",
                    out=projections[d].reshape(steps * batch, 4 * hidden_size))
    elif stacked:                                # the reverse direction reads x back to front
        x_reversed = take("x_reversed", x.shape)
        xp.copyto(x_reversed, x[::-1])
        for d, source in enumerate((x, x_reversed)):
            xp.matmul(source.reshape(steps * batch, inputs), w_input[d].T,
                      out=projections[d].reshape(steps * batch, 4 * hidden_size))
    else:                                        # X_d W_dᵀ
        xp.matmul(x.reshape(steps * batch, inputs), w_input.transpose(0, 2, 1),
                  out=projections.reshape(k, steps * batch, 4 * hidden_size))
    if rows is None:
        projections += bias.reshape(k, 1, 1, 4 * hidden_size)                # ... + b_d
    sizes = [int(size) for size in batch_sizes]
    if stacked:
        zero_past_ends(projections[1], sizes[::-1])      # reverse rows before their start read 0
        hidden = take("stacked_h", (2, steps, batch, hidden_size), zero=sizes[-1] < batch)
        time_loop(cells, projections, hidden, step_schedule(range(steps), slot_rows(sizes)),
                  workspace)
        output, _ = unstack(hidden, batch_sizes)
    else:
        output = xp.zeros((steps, batch, k * hidden_size), dtype=dtype)
        for d, (cell, backwards) in enumerate(zip(cells, reverse, strict=True)):
            block = output[..., d * hidden_size:(d + 1) * hidden_size]
            order = range(steps - 1, -1, -1) if backwards else range(steps)
            time_loop([cell], projections[d:d + 1], block[None], step_schedule(order, sizes),
                      workspace)
    workspace.give_back(lent)
    return output


def time_loop(cells: list[FusedLSTMCell], projections: Array, hidden: Array,
              schedule: Schedule, workspace: Workspace) -> None:
    """h_t into `hidden` (D, T, B, H) of the D `cells` for the steps of `schedule`, from the
    input projections (D, T, B, 4H).
    A row's first step reads c = 0 and h_{t−1} = 0 (`hidden` holds zeros where unwritten).
    The loop's own buffers come from `workspace` and go back to it at the end (the next
    direction's loop reuses them)."""
    depth, _, batch, hidden_size = hidden.shape
    lent: dict[str, Array] = {}
    flat = workspace.take(lent, "step_gates", (4 * depth * batch * hidden_size,), hidden.dtype,
                          False)
    c = workspace.take(lent, "c_now", (depth, batch, hidden_size), hidden.dtype, True)
    scratch = workspace.take(lent, "scratch_now", c.shape, hidden.dtype, False)
    recurrent = RecurrentProduct(cells, projections, workspace, lent)
    computed = -1
    for t, m, prev in schedule:
        if m != computed:                                   # contiguous views of m rows
            computed = m
            a = flat[:4 * depth * m * hidden_size].reshape(4, depth, m, hidden_size)
            c_m, scratch_m = c[:, :m], scratch[:, :m]
        if prev is None:
            recurrent.first_step(a, t)
        else:
            recurrent.step(a, hidden, prev, t)
        cells[0].forward_equations(a, None if prev is None else c_m, c_m, scratch_m,
                                   hidden[:, t, :m], scratch_m)  # c_t in place of c_{t−1}
    workspace.give_back(lent)
