"""The fused LSTM's taped time loop (training), gate-major steps: one or two directions at once.

`Recurrent.run` hands a single `FusedLSTMCell` direction here (D = 1) and
`bidirectional.bidirectional_forward` both directions of a stacked layer (D = 2, slot s holding
the forward direction's step s and the reverse direction's step T−1−s). The equations are
`FusedLSTMCell.forward_equations` / `backward_equations`; this loop decides the layout:

  * each step works in one contiguous gate-major buffer (4, D, m, H): R h_{t−1} + W x_t + b
    lands there (`RecurrentProduct`), so every elementwise call of the step runs on
    contiguous memory (NumPy's loops over a row-strided gate block of an [m, 4H] array cost
    2–3× the contiguous one at these sizes); the gate values are then stored, as the tape,
    into the row-major [D, T, B, 4H] buffer where W x_t + b was (read once, at step t), so
    the tape takes no more memory than the row-major schedule's;
  * the backward step copies them back into the gate-major buffer and writes ∂L/∂a_t
    straight into the row-major buffer, where the per-step product ∂L/∂a_t R and the GEMMs
    over all steps (∂W, ∂R, ∂b, ∂x) read it; ∂L/∂c_{t−1} goes to a second buffer (the two
    swap roles each step) instead of being copied.

Every value is the row-major schedule's bit for bit: the same products and sums of the same
operands, only stored elsewhere (each GEMM output element is the same dot product over H).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np

from lstm_cli.engine.backend import blas_threads, xp
from lstm_cli.engine.cells import FusedLSTMCell, Workspace

Array = np.ndarray

#: (t, rows computed at t, the step whose state t reads or None) for each step, in loop order.
Schedule = list[tuple[int, int, int | None]]


def step_schedule(order: Iterable[int], rows: Sequence[int]) -> Schedule:
    """The steps of `order` that compute rows (`rows[t]` > 0), each reading the state of the
    step before it in `order`, or none (c = 0, h = 0) when that step computed no rows or it is
    the first."""
    schedule: Schedule = []
    prev = None
    for t in order:
        if rows[t] == 0:
            prev = None
            continue
        schedule.append((t, rows[t], prev))
        prev = t
    return schedule


#: Floats of padding after each row of the wide operand Rᵀ (H, 4H): rows a power of two apart
#: (4H floats at H = 64, 128, 256, 512) cost the GEMM cache-set conflicts (bench/README.md).
ROW_PADDING = 32


#: OpenBLAS runs a GEMM on one thread up to this many multiply-adds, M·N·K (its
#: GEMM_MULTITHREAD_THRESHOLD 4 × SMP_THRESHOLD_MIN 65,536).
BLAS_THREADING_THRESHOLD = 2 ** 18


def gate_major_product(hidden_size: int, rows: int) -> bool:
    """Whether R h_{t−1} for up to `rows` rows is computed per gate, (4, D, m, H) from R split
    into H × H blocks, rather than as one wide (D, m, 4H) product (to which the step's input
    projections are added in place, contiguously) copied gate-major. Both give the same values
    bit for bit (each output element is the same dot product over H, plus the same
    projection).

    Per gate when H is a power of two and the wide product runs on one thread (one BLAS
    thread, or too small for OpenBLAS to split): 1.2–1.3× faster than the wide product there
    (S, M at one thread; bench/README.md). The wide product otherwise: as fast on one thread
    for other H (E), and split between threads it beats four or eight split per-gate products
    (1.1–1.3×)."""
    on_one_thread = (blas_threads() == 1
                     or rows * hidden_size * 4 * hidden_size <= BLAS_THREADING_THRESHOLD)
    return hidden_size & (hidden_size - 1) == 0 and on_one_thread


class RecurrentProduct:
    """The step's pre-activations, gate-major: a (4, D, m, H) ← R h_{t−1} + (W x_t + b), for
    D fused-LSTM directions, each R with the rows its cell's `preactivation_scale` asks for
    multiplied in; the layout of the product is `gate_major_product`'s."""

    def __init__(self, cells: list[FusedLSTMCell], projections: Array, workspace: Workspace,
                 lent: dict[str, Array]) -> None:
        depth, _, batch, _ = projections.shape
        hidden_size, dtype = cells[0].hidden_size, projections.dtype
        self.projections = projections                      # (D, T, B, 4H): W x_t + b
        self.by_gate = cells[0].by_gate(projections)       # (4, D, T, B, H), a view
        self.gate_major = gate_major_product(hidden_size, batch)
        if self.gate_major:
            self.weights = workspace.take(lent, "r_by_gate", (4, depth, hidden_size, hidden_size),
                                          dtype, False)
            for d, cell in enumerate(cells):       # R_kᵀ (H, H) for each gate k
                recurrent = cell.params["w_hidden"].reshape(4, hidden_size, hidden_size)
                xp.multiply(recurrent.transpose(0, 2, 1),
                            cell.preactivation_scale.reshape(4, 1, hidden_size),
                            out=self.weights[:, d])
        else:
            self.weights = workspace.take(lent, "r_stacked", (
                depth, hidden_size, 4 * hidden_size + ROW_PADDING), dtype, False
            )[..., :4 * hidden_size]
            for d, cell in enumerate(cells):       # Rᵀ (H, 4H)
                xp.multiply(cell.params["w_hidden"].T, cell.preactivation_scale,
                            out=self.weights[d])
            self.product = workspace.take(lent, "r_product", (depth, batch, 4 * hidden_size),
                                          dtype, False)

    def step(self, a: Array, hidden: Array, prev: int, t: int) -> None:
        """a (4, D, m, H) ← R h_prev + W x_t + b, h_prev being rows [:m] of hidden[:, prev]
        (D, T, B, H)."""
        m = a.shape[2]
        if self.gate_major:
            xp.matmul(hidden[None, :, prev, :m], self.weights, out=a)   # R_k h_{t−1}
            a += self.by_gate[:, :, t, :m]                              # + W_k x_t + b_k
        else:
            product = self.product[:, :m]
            xp.matmul(hidden[:, prev, :m], self.weights, out=product)   # R h_{t−1}
            product += self.projections[:, t, :m]                       # + W x_t + b
            xp.copyto(a, product.reshape(*product.shape[:-1], 4, a.shape[-1]).transpose(
                2, 0, 1, 3))

    def first_step(self, a: Array, t: int) -> None:
        """a ← W x_t + b, gate-major, at a step with no predecessor."""
        xp.copyto(a, self.by_gate[:, :, t, :a.shape[2]])


def taped_loop(cells: list[FusedLSTMCell], gates: Array, hidden: Array, schedule: Schedule,
               workspace: Workspace, lent: dict[str, Array], *,
               zero_state: bool) -> Callable[[Array, Array], None]:
    """Write h_t into `hidden` (D, T, B, H) of the D `cells` from the input projections `gates`
    (D, T, B, 4H; either may be a view with strided rows), step by step in
    `schedule`'s order; rows a step does not compute must hold zeros in `hidden`, and
    `zero_state` zeroes the cell states so they read zero there too. Buffers come from
    `workspace` into `lent`.

    Returns the backward loop: given ∂L/∂h (D, T, B, H) and R (D, 4H, H), unscaled, it turns
    `gates` into ∂L/∂a (of the unscaled a) in place, step by step in reverse."""
    depth, steps, batch, _ = gates.shape
    cell, hidden_size, dtype = cells[0], hidden.shape[-1], gates.dtype

    def take(name: str, shape: tuple[int, ...], zero: bool = False) -> Array:
        return workspace.take(lent, name, shape, dtype, zero)

    state = (depth, steps, batch, hidden_size)
    step_gates = take("step_gates", (4 * depth * batch * hidden_size,))
    c, cell_out = take("c", state, zero=zero_state), take("cell_out", state)
    scratch = take("scratch", (3, depth, batch, hidden_size))
    recurrent = RecurrentProduct(cells, gates, workspace, lent)
    d_gates = recurrent.by_gate                                    # (4, D, T, B, H) views

    def step_buffer(m: int) -> Array:
        """A contiguous (4, D, m, H) work buffer for one step's gates."""
        return step_gates[:4 * depth * m * hidden_size].reshape(4, depth, m, hidden_size)

    for t, m, prev in schedule:
        a = step_buffer(m)
        if prev is None:
            recurrent.first_step(a, t)
        else:
            recurrent.step(a, hidden, prev, t)
        cell.forward_equations(a, None if prev is None else c[:, prev, :m], c[:, t, :m],
                               cell_out[:, t, :m], hidden[:, t, :m], scratch[0, :, :m])
        xp.copyto(d_gates[:, :, t, :m], a)      # the tape: gate values where W x_t + b was

    def backward(d_hidden: Array, w_hidden: Array) -> None:
        d_c = take("d_c", (2, depth, batch, hidden_size), zero=True)   # ∂L/∂c_t, ∂L/∂c_{t−1}
        d_h_next = take("d_h_next", (depth, batch, hidden_size), zero=True)
        d_h = take("d_h", (depth, batch, hidden_size))
        d_sigmoid = take("d_sigmoid", (3 * depth * batch * hidden_size,))
        now = 0
        for t, m, prev in reversed(schedule):
            a = step_buffer(m)
            xp.copyto(a, d_gates[:, :, t, :m])
            xp.add(d_hidden[:, t, :m], d_h_next[:, :m], out=d_h[:, :m])
            cell.backward_equations(
                a, None if prev is None else c[:, prev, :m], cell_out[:, t, :m],
                d_c[now, :, :m], d_c[1 - now, :, :m], d_h[:, :m], d_gates[:, :, t, :m],
                d_sigmoid[:3 * depth * m * hidden_size].reshape(3, depth, m, hidden_size),
                scratch[0, :, :m], scratch[1, :, :m], scratch[2, :, :m])
            if prev is not None:                 # ∂L/∂h_{t−1} = Rᵀ ∂L/∂a_t
                xp.matmul(gates[:, t, :m], w_hidden, out=d_h_next[:, :m])
                now = 1 - now

    return backward
