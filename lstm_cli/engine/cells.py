"""Recurrent cells: one time step forward and backward, for the active rows of a batch.

Notation, shared by forward and backward: we are at step t; `prev` is the step the cell read its
state from (t−1 going forwards, t+1 for the reverse direction), so `h_prev` is h_{t−1} and
`c_prev` is c_{t−1}. Only rows [:n] of the batch are active at t (batches are sorted by length,
longest first); the other rows are neither read nor written.

The time loop (`recurrent.py`) owns the matrix products. Before `forward_step` it has computed,
for every step at once, the input part of the pre-activations into the tape's `gates` buffer,

    gates[t] = W x_t + b                                  # (T, B, G·H)

and, for this step, the recurrent part `recurrent = R h_{t−1}` (n, G·H), both with the rows of
the cell's `preactivation_scale` (if any) multiplied in. A cell adds them, applies its gate
equations in place and writes h_t. Its backward step turns `gates[t]` into ∂L/∂a_t (the gradient
at the unscaled pre-activations) in place and returns ∂L/∂(R h_{t−1}); the loop multiplies that
by R for ∂L/∂h_{t−1} and forms ∂L/∂W, ∂L/∂R, ∂L/∂b once over all steps.

Fused weight layout (rows of `w_input` [G·H, I], `w_hidden` [G·H, H], `bias` [G·H]), each block
H rows, sigmoid gates first so one in-place call covers them:

    LSTM   [ i | f | o | g ]     any gate a Greff variant removes is left out, order kept
    GRU    [ r | z | n ]         (PyTorch's order)
    RNN    [ h ]

PyTorch orders LSTM gates [ i | f | g | o ]; `engine/export.py` maps between the two.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable

import numpy as np

from lstm_cli.engine.activations import get_activation, sigmoid_grad_, tanh_, tanh_grad_
from lstm_cli.engine.backend import tanh, xp
from lstm_cli.engine.module import Module
from lstm_cli.engine.params import init_matrix

Array = np.ndarray

LSTM_VARIANTS = ("vanilla", "NIG", "NFG", "NOG", "NIAF", "NOAF", "NP", "CIFG", "FGR")


class Workspace:
    """Memory a layer reuses from one batch to the next instead of asking the allocator again.

    Fresh memory costs a page fault per 4 KiB page at first touch (about 1 ms per MiB on the
    benchmark machine: a third of a small batch's forward pass). A layer takes its internal
    buffers (gates, c, scratch; never an array it hands out, such as h) from its workspace, and
    they come back when the backward function that can read them is dropped, so nothing can see
    a buffer after it is reused. Buffers are kept flat and grow to the largest shape asked for.
    """

    def __init__(self) -> None:
        self.spare: dict[str, Array] = {}

    def take(self, lent: dict[str, Array], name: str, shape: tuple[int, ...], dtype,
             zero: bool) -> Array:
        """A C-contiguous array of `shape` (zeroed if `zero`), recorded in `lent` by name."""
        size = math.prod(shape)
        flat = self.spare.pop(name, None)
        if flat is None or flat.dtype != dtype or flat.size < size:
            flat = xp.empty(size, dtype=dtype)
        lent[name] = flat
        array = flat[:size].reshape(shape)
        if zero:
            array.fill(0)
        return array

    def lend_until_dropped(self, owner: Callable, lent: dict[str, Array]) -> Callable:
        """Give the `lent` buffers back once `owner` (a backward function) is garbage; `owner`."""
        weakref.finalize(owner, self.spare.update, lent)
        return owner

    def give_back(self, lent: dict[str, Array]) -> None:
        """Take the `lent` buffers back now (a forward-only pass that no longer reads them)."""
        self.spare.update(lent)


class Tape(dict):
    """Buffers a cell keeps over all steps of one sequence batch, by name (each [T, B, ·]).

    `take` adds an internal buffer from the layer's Workspace; the loop hands the tape's buffers
    back (`Workspace.lend_until_dropped`) with the backward function that owns the tape.
    """

    def __init__(self, workspace: Workspace, **arrays: Array) -> None:
        super().__init__(**arrays)
        self.workspace = workspace
        self.lent: dict[str, Array] = {}

    def take(self, name: str, shape: tuple[int, ...], dtype, *, zero: bool = True) -> Array:
        """A new buffer `name` from the workspace, zeroed unless `zero` is False."""
        self[name] = self.workspace.take(self.lent, name, shape, dtype, zero)
        return self[name]


class Cell(Module):
    """Base class: owns `w_input`, `w_hidden`, `bias` and the per-step equations."""

    gate_names: tuple[str, ...] = ()
    config_options: tuple[tuple[str, str], ...] = ()
    """(keyword option, `model.<key>` of the config that sets it) for the options beyond `init_*`
    that this cell takes (the config's keys are read by model.cell_options)."""

    def __init__(self, input_size: int, hidden_size: int, *, rng: np.random.Generator,
                 dtype=np.float32, init_input: str = "glorot", init_recurrent: str = "orthogonal",
                 init_scale: float = 0.1) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.dtype = np.dtype(dtype)
        gates = len(self.gate_names) * hidden_size
        self.add_param("w_input", xp.concatenate([
            init_matrix(rng, (hidden_size, input_size), init_input, init_scale, dtype)
            for _ in self.gate_names]))
        self.add_param("w_hidden", xp.concatenate([
            init_matrix(rng, (hidden_size, hidden_size), init_recurrent, init_scale, dtype)
            for _ in self.gate_names]))
        self.add_param("bias", xp.zeros(gates, dtype=dtype))

    @property
    def gate_size(self) -> int:
        return len(self.gate_names) * self.hidden_size

    def gate(self, array: Array, name: str) -> Array:
        """The block of `array`'s last axis that belongs to gate `name`."""
        k = self.gate_names.index(name)
        return array[..., k * self.hidden_size:(k + 1) * self.hidden_size]

    #: Rows of a_t (G·H,) the cell wants multiplied by a constant before `forward_step`, or None.
    #: The loop folds the factors into its copies of W, R and b (FusedLSTMCell: ½ on i, f, o);
    #: `backward_step` still returns ∂L/∂a of the unscaled a_t.
    preactivation_scale: Array | None = None

    def add_buffers(self, tape: Tape) -> None:
        """Add the cell's per-step buffers to a tape that holds `gates` (T, B, G·H), the input
        projections, and `h` (T, B, H), zeros; the base cell needs only scratch rows."""
        batch = tape["gates"].shape[1]
        tape.take("scratch", (6, batch, self.hidden_size), tape["gates"].dtype, zero=False)

    @staticmethod
    def previous(tape: Tape, name: str, prev: int | None, n: int) -> Array | None:
        """Rows [:n] of buffer `name` at step `prev`, or None before the first step."""
        return None if prev is None else tape[name][prev, :n]

    def forward_step(self, tape: Tape, t: int, prev: int | None, n: int,
                     recurrent: Array | None) -> None:
        raise NotImplementedError

    def backward_step(self, tape: Tape, t: int, prev: int | None, n: int,
                      dh: Array) -> tuple[Array, Array | None]:
        """Write ∂L/∂a_t into `tape['gates'][t, :n]`; return (∂L/∂(R h_prev), direct ∂L/∂h_prev)."""
        raise NotImplementedError

    def recurrent_gate_grads(self, tape: Tape) -> Array:
        """∂L/∂(R h_{t−1}) for all steps (T, B, G·H): the same as ∂L/∂a except for the GRU."""
        return tape["gates"]

    def start_backward(self, tape: Tape) -> None:
        """Allocate the running gradients that flow from step t+1 back to step t."""

    def finish_backward(self, tape: Tape, reverse: bool) -> None:
        """Gradients of the cell's own extra parameters (peepholes, ...), once over all steps."""


def shifted(reverse: bool) -> tuple[slice, slice]:
    """(steps that have a predecessor, their predecessors) along the time axis."""
    return (slice(None, -1), slice(1, None)) if reverse else (slice(1, None), slice(None, -1))


def scaled(array: Array, scale: Array | None, out: Array) -> Array:
    """out ← array ⊙ scale (broadcast), or a copy of array when scale is None."""
    if scale is None:
        xp.copyto(out, array)
    else:
        xp.multiply(array, scale, out=out)
    return out


def zero_past_ends(gates: Array, sizes: list[int]) -> None:
    """gates[t, sizes[t]:] ← 0 for every step t: rows past a sequence's end read no input."""
    for t, size in enumerate(sizes):
        if size < len(gates[t]):
            gates[t, size:] = 0


class LSTMCell(Cell):
    """LSTM with forget gate (Gers et al. 1999), optional peepholes (Graves 2012) and the variants
    of Greff et al. (2015). With a_t = W x_t + R h_{t−1} + b split into gate blocks:

        i_t = σ(a_i + p_i ⊙ c_{t−1})                     input gate      (NIG: i_t = 1)
        f_t = σ(a_f + p_f ⊙ c_{t−1})                     forget gate     (NFG: 1, CIFG: 1 − i_t)
        g_t = φ_g(a_g)                                   cell input      (NIAF: φ_g = identity)
        c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t                  cell state
        o_t = σ(a_o + p_o ⊙ c_t)                         output gate     (NOG: o_t = 1)
        h_t = o_t ⊙ φ_h(c_t)                             output          (NOAF: φ_h = identity)

    Peephole weights p are diagonal (vectors); NP removes them. FGR adds full gate recurrence:
    a_{i,f,o} += W_gates [i, f, o]_{t−1}. σ, φ_g, φ_h default to sigmoid, tanh, tanh.
    """

    config_options = (("variant", "variant"), ("peepholes", "peepholes"),
                      ("forget_bias", "forget_bias"), ("gate_activation", "gate_activation"),
                      ("cell_activation", "cell_activation"),
                      ("output_activation", "output_activation"))

    def __init__(self, input_size: int, hidden_size: int, *, rng: np.random.Generator,
                 dtype=np.float32, variant: str = "vanilla", peepholes: bool = False,
                 forget_bias: float = 1.0, gate_activation: str = "sigmoid",
                 cell_activation: str = "tanh", output_activation: str = "tanh",
                 **init) -> None:
        if variant not in LSTM_VARIANTS:
            raise ValueError(f"unknown LSTM variant {variant!r}; choose from {LSTM_VARIANTS}")
        self.variant = variant
        self.gate_names = tuple(name for name in ("i", "f", "o", "g")
                                if (name, variant) not in {("i", "NIG"), ("f", "NFG"),
                                                           ("o", "NOG"), ("f", "CIFG")})
        self.sigmoid_gates = len(self.gate_names) - 1
        super().__init__(input_size, hidden_size, rng=rng, dtype=dtype, **init)
        self.gate_act, self.gate_act_grad = get_activation(gate_activation)
        self.cell_act, self.cell_act_grad = get_activation(
            "identity" if variant == "NIAF" else cell_activation)
        self.out_act, self.out_act_grad = get_activation(
            "identity" if variant == "NOAF" else output_activation)
        self.keeps_cell_output = variant != "NOAF"
        self.peepholes = tuple(name for name in ("i", "f", "o")
                               if peepholes and variant != "NP" and name in self.gate_names)
        for name in self.peepholes:
            self.add_param(f"peep_{name}", xp.zeros(hidden_size, dtype=dtype))
        if variant == "FGR":
            size = self.sigmoid_gates * hidden_size
            self.add_param("w_gates", init_matrix(rng, (size, size), "uniform", init.get(
                "init_scale", 0.1), dtype))
        if "f" in self.gate_names:
            self.gate(self.params["bias"], "f")[:] = forget_bias

    def add_buffers(self, tape: Tape) -> None:
        super().add_buffers(tape)
        shape, dtype = tape["h"].shape, tape["h"].dtype
        tape.take("c", shape, dtype)
        tape["cell_out"] = tape.take("cell_out", shape, dtype) if self.keeps_cell_output \
            else tape["c"]

    def start_backward(self, tape: Tape) -> None:
        batch, dtype = tape["h"].shape[1], tape["h"].dtype
        tape.take("dc", (batch, self.hidden_size), dtype)
        if self.variant == "FGR":
            tape.take("d_gates_next", (batch, self.sigmoid_gates * self.hidden_size), dtype)
            self.grads["w_gates"].fill(0)

    def forward_step(self, tape, t, prev, n, recurrent):
        a = tape["gates"][t, :n]                              # (n, G·H): W x_t + b
        c_prev = self.previous(tape, "c", prev, n)
        s1 = tape["scratch"][0, :n]
        sig = slice(0, self.sigmoid_gates * self.hidden_size)
        if recurrent is not None:
            a += recurrent                                    # a_t = W x_t + R h_{t−1} + b
        if self.variant == "FGR" and prev is not None:        # a_ifo += W_gates [i, f, o]_{t−1}
            a[:, sig] += tape["gates"][prev, :n, sig] @ self.params["w_gates"].T
        for name in ("i", "f"):
            if name in self.peepholes and c_prev is not None:  # a_i += p_i ⊙ c_{t−1}
                self.gate(a, name)[...] += self.params[f"peep_{name}"] * c_prev
        late_o = "o" in self.peepholes
        self.gate_act(a[:, :sig.stop - self.hidden_size] if late_o else a[:, sig])
        g = self.cell_act(self.gate(a, "g"))                  # g_t = φ_g(a_g)
        c = tape["c"][t, :n]
        if "i" in self.gate_names:                            # c_t = i_t ⊙ g_t ...
            xp.multiply(self.gate(a, "i"), g, out=c)
        else:
            c[...] = g
        if c_prev is not None:                                # ... + f_t ⊙ c_{t−1}
            if "f" in self.gate_names:
                c += xp.multiply(self.gate(a, "f"), c_prev, out=s1)
            elif self.variant == "CIFG":                      # f_t = 1 − i_t
                c += c_prev
                c -= xp.multiply(self.gate(a, "i"), c_prev, out=s1)
            else:
                c += c_prev
        if late_o:                                            # o_t = σ(a_o + p_o ⊙ c_t)
            o = self.gate(a, "o")
            o += xp.multiply(self.params["peep_o"], c, out=s1)
            self.gate_act(o)
        cell_out = tape["cell_out"][t, :n]
        if self.keeps_cell_output:                            # φ_h(c_t)
            cell_out[...] = c
            self.out_act(cell_out)
        h = tape["h"][t, :n]
        if "o" in self.gate_names:                            # h_t = o_t ⊙ φ_h(c_t)
            xp.multiply(self.gate(a, "o"), cell_out, out=h)
        else:
            h[...] = cell_out

    def backward_step(self, tape, t, prev, n, dh):
        a = tape["gates"][t, :n]               # gate activations at t; becomes ∂L/∂a_t
        c_prev = self.previous(tape, "c", prev, n)
        cell_out = tape["cell_out"][t, :n]
        dc = tape["dc"][:n]                    # ∂L/∂c_t from step t+1 (zero at a sequence's end)
        s1, s2, d_i, d_f, d_g, _ = (buffer[:n] for buffer in tape["scratch"])
        has = self.gate_names
        fgr = self.variant == "FGR"
        d_next = tape["d_gates_next"][:n] if fgr else None  # ∂L/∂[i, f, o]_t via a_{t+1}

        # ∂L/∂c_t += ∂L/∂h_t ⊙ o_t ⊙ φ_h'(c_t)
        if "o" in has:
            xp.multiply(dh, self.gate(a, "o"), out=s1)
        else:
            s1[...] = dh
        dc += self.out_act_grad(s1, cell_out, s2)
        if "o" in has:                         # ∂L/∂a_o = ∂L/∂h_t ⊙ φ_h(c_t) ⊙ σ'(a_o)
            xp.multiply(dh, cell_out, out=s1)
            if fgr:
                s1 += self.gate(d_next, "o")
            self.gate_act_grad(s1, self.gate(a, "o"), s2)
            self.gate(a, "o")[...] = s1
            if "o" in self.peepholes:          # ∂L/∂c_t += p_o ⊙ ∂L/∂a_o
                dc += xp.multiply(self.params["peep_o"], s1, out=s2)
        g = self.gate(a, "g")
        if "i" in has:                         # ∂L/∂a_i = ∂L/∂c_t ⊙ (g_t − c_{t−1} for CIFG) ⊙ σ'
            xp.multiply(dc, g, out=d_i)
            if self.variant == "CIFG" and c_prev is not None:
                d_i -= xp.multiply(dc, c_prev, out=s1)
            if fgr:
                d_i += self.gate(d_next, "i")
            self.gate_act_grad(d_i, self.gate(a, "i"), s2)
            xp.multiply(dc, self.gate(a, "i"), out=d_g)  # ∂L/∂a_g = ∂L/∂c_t ⊙ i_t ⊙ φ_g'(a_g)
        else:
            d_g[...] = dc
        self.cell_act_grad(d_g, g, s2)
        if "f" in has:                         # ∂L/∂a_f = ∂L/∂c_t ⊙ c_{t−1} ⊙ σ'(a_f)
            if c_prev is None:
                d_f.fill(0)
            else:
                xp.multiply(dc, c_prev, out=d_f)
            if fgr:
                d_f += self.gate(d_next, "f")
            self.gate_act_grad(d_f, self.gate(a, "f"), s2)
            dc *= self.gate(a, "f")            # ∂L/∂c_{t−1} = ∂L/∂c_t ⊙ f_t ...
            self.gate(a, "f")[...] = d_f
        elif self.variant == "CIFG":           # ... ⊙ (1 − i_t)
            dc -= xp.multiply(dc, self.gate(a, "i"), out=s1)
        if "i" in has:
            self.gate(a, "i")[...] = d_i
        g[...] = d_g
        for name in ("i", "f"):                # ... + p_i ⊙ ∂L/∂a_i + p_f ⊙ ∂L/∂a_f
            if name in self.peepholes:
                dc += xp.multiply(self.params[f"peep_{name}"], self.gate(a, name), out=s1)
        if fgr and prev is not None:           # ∂L/∂[i,f,o]_{t−1} = W_gates^T ∂L/∂a_ifo
            sig = slice(0, self.sigmoid_gates * self.hidden_size)
            xp.matmul(a[:, sig], self.params["w_gates"], out=d_next)
            self.grads["w_gates"] += a[:, sig].T @ tape["gates"][prev, :n, sig]
        return a, None

    def finish_backward(self, tape, reverse):
        d_gates, c = tape["gates"], tape["c"]
        now, before = shifted(reverse)
        for name in self.peepholes:            # ∂L/∂p_i = Σ_t ∂L/∂a_i,t ⊙ c_{t−1};  p_o: ⊙ c_t
            if name == "o":
                self.grads["peep_o"][...] = (self.gate(d_gates, "o") * c).sum(axis=(0, 1))
            else:
                self.grads[f"peep_{name}"][...] = (
                    self.gate(d_gates[now], name) * c[before]).sum(axis=(0, 1))


class FusedLSTMCell(LSTMCell):
    """The common LSTM (vanilla or NP, no peepholes, σ / tanh / tanh) in fewer NumPy calls.

    The equations, parameters and gate layout [ i | f | o | g ] are LSTMCell's; only the
    schedule differs (outputs are bit-for-bit LSTMCell's; gradients agree to rounding, their
    products being taken in another order):

      * `preactivation_scale` has the loop multiply the i, f, o rows of W, R and b by ½ (exact
        in binary floating point), so the step receives a' = [½a_i | ½a_f | ½a_o | a_g] and one
        tanh over the whole block gives tanh(½a) for the three gates and g_t = tanh(a_g); then
        σ(a) = ½ tanh(½a) + ½ is two calls over the contiguous [ i | f | o ] block;
      * the steps work on *gate-major* arrays (4, …, H), [i, f, o, g] stacked on the first
        axis, so every elementwise call runs over contiguous memory; the time loops that lay
        them out are `fused_loop.py` (training) and `forward_only.py` (no tape), which
        `recurrent.py` runs instead of the generic `forward_step` / `backward_step` loop;
      * the backward step forms σ' = σ (1 − σ) once over [ i | f | o ] and writes each gate's
        gradient as soon as the gate's value has been used.
    """

    def __init__(self, input_size: int, hidden_size: int, *, rng: np.random.Generator,
                 **options) -> None:
        super().__init__(input_size, hidden_size, rng=rng, **options)
        if not self.covers(**options):
            raise ValueError("FusedLSTMCell is only the vanilla LSTM without peepholes")
        size = hidden_size
        self.preactivation_scale = xp.concatenate([xp.full(3 * size, 0.5, dtype=self.dtype),
                                                   xp.ones(size, dtype=self.dtype)])

    @staticmethod
    def covers(variant: str = "vanilla", peepholes: bool = False,
               gate_activation: str = "sigmoid", cell_activation: str = "tanh",
               output_activation: str = "tanh", **_) -> bool:
        """Whether LSTMCell options describe the cell this class computes."""
        return (variant in ("vanilla", "NP") and (not peepholes or variant == "NP")
                and (gate_activation, cell_activation, output_activation)
                == ("sigmoid", "tanh", "tanh"))

    def forward_step(self, tape, t, prev, n, recurrent):
        raise NotImplementedError("the fused LSTM runs in fused_loop.py / forward_only.py")

    def backward_step(self, tape, t, prev, n, dh):
        raise NotImplementedError("the fused LSTM runs in fused_loop.py")

    def by_gate(self, a: Array) -> Array:
        """The gates [i | f | o | g] (…, 4H) of `a` as a view (4, …, H), gate by gate (a's last
        axis is contiguous, so splitting it never copies)."""
        rows = a.ndim - 1
        return a.reshape(*a.shape[:-1], 4, self.hidden_size).transpose(rows, *range(rows),
                                                                          rows + 1)

    def forward_equations(self, a: Array, c_prev: Array | None, c: Array, cell_out: Array,
                          h: Array, scratch: Array) -> None:
        """One step from gate-major pre-activations: `a` (4, …, H) holds
        a' = [½a_i, ½a_f, ½a_o, a_g] stacked on its first axis, contiguous, and becomes the
        gates [i_t, f_t, o_t, g_t]; writes c_t into `c` and tanh(c_t) into `cell_out`, and
        h_t into `h`:

            c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t,   h_t = o_t ⊙ tanh(c_t)

        `c_prev` is c_{t−1} (None at a first step); it may be `c` itself (a pass that keeps no
        tape updates c in place). `scratch` is any buffer of c's shape, and may also be
        `cell_out` (tanh(c_t) is then not kept). Leading axes are free."""
        tanh(a, out=a)                            # [tanh(½a_i), …, g_t = tanh(a_g)]
        gates = a[:3]
        gates *= 0.5
        gates += 0.5                              # [i_t, f_t, o_t] = ½ tanh(½a) + ½ = σ(a)
        i, f, o, g = a
        if c_prev is None:
            xp.multiply(i, g, out=c)
        else:
            xp.multiply(f, c_prev, out=c)         # f_t ⊙ c_{t−1}
            c += xp.multiply(i, g, out=scratch)   # ... + i_t ⊙ g_t
        tanh(c, out=cell_out)
        xp.multiply(o, cell_out, out=h)           # h_t = o_t ⊙ tanh(c_t)

    def backward_equations(self, gates: Array, c_prev: Array | None, cell_out: Array,
                           d_c: Array, d_c_prev: Array, d_h: Array, d_a: Array,
                           d_sigmoid: Array, s1: Array, s2: Array, s3: Array) -> None:
        """One step back from the gate-major gates [i, f, o, g] (4, …, H) at t (contiguous;
        overwritten): writes ∂L/∂a_t (of the unscaled a_t) into `d_a` (4, …, H), any view, e.g.
        `by_gate` of a row-major (…, 4H) buffer. `d_c` holds ∂L/∂c_t via c_{t+1} and gets
        ∂L/∂h_t's share added; ∂L/∂c_{t−1} = ∂L/∂c_t ⊙ f_t goes into `d_c_prev` (not written
        at a first step, `c_prev` None). `d_sigmoid` is (3, …, H); s1, s2, s3 are like c.

            ∂L/∂c_t += ∂L/∂h_t ⊙ o_t ⊙ (1 − tanh²(c_t))
            ∂L/∂a_o = ∂L/∂h_t ⊙ tanh(c_t) ⊙ σ'     ∂L/∂a_i = ∂L/∂c_t ⊙ g_t ⊙ σ'
            ∂L/∂a_f = ∂L/∂c_t ⊙ c_{t−1} ⊙ σ'       ∂L/∂a_g = ∂L/∂c_t ⊙ i_t ⊙ (1 − g_t²)
        """
        i, f, o, g = gates
        sigmoid_gates = gates[:3]
        xp.subtract(1.0, sigmoid_gates, out=d_sigmoid)
        d_sigmoid *= sigmoid_gates                # σ'(a) = σ (1 − σ) for i, f, o
        xp.multiply(cell_out, cell_out, out=s1)
        xp.subtract(1.0, s1, out=s1)              # tanh'(c_t) = 1 − tanh²(c_t)
        s1 *= o
        s1 *= d_h
        d_c += s1                                 # ∂L/∂c_t += ∂L/∂h_t ⊙ o_t ⊙ tanh'(c_t)
        xp.multiply(d_h, cell_out, out=o)         # ∂L/∂o_t = ∂L/∂h_t ⊙ tanh(c_t)
        xp.multiply(d_c, i, out=s2)               # ∂L/∂g_t = ∂L/∂c_t ⊙ i_t
        xp.multiply(d_c, g, out=i)                # ∂L/∂i_t = ∂L/∂c_t ⊙ g_t
        xp.multiply(g, g, out=s3)
        xp.subtract(1.0, s3, out=s3)
        xp.multiply(s2, s3, out=d_a[3])           # ∂L/∂a_g = ∂L/∂g_t ⊙ (1 − g_t²)
        if c_prev is None:                        # ∂L/∂f_t = ∂L/∂c_t ⊙ c_{t−1}
            f.fill(0)
        else:
            xp.multiply(d_c, f, out=d_c_prev)     # ∂L/∂c_{t−1} = ∂L/∂c_t ⊙ f_t
            xp.multiply(d_c, c_prev, out=f)
        xp.multiply(sigmoid_gates, d_sigmoid, out=d_a[:3])   # ∂L/∂a_{i,f,o} = ∂L/∂[i, f, o] ⊙ σ'


class GRUCell(Cell):
    """Gated recurrent unit (Cho et al. 2014) in PyTorch's nn.GRU form (reset after the product):

        r_t = σ(a_r)                        a_{r,z} = W_{r,z} x_t + R_{r,z} h_{t−1} + b_{r,z}
        z_t = σ(a_z)
        n_t = tanh(W_n x_t + b_n + r_t ⊙ (R_n h_{t−1} + b_hn))
        h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}

    `bias` holds b_r, b_z, b_n (PyTorch's b_ih plus the r, z parts of b_hh); `bias_hidden` is b_hn.
    The loop halves a_r and a_z (`preactivation_scale`), so σ(a) = ½ tanh(½a) + ½ is one tanh.
    """

    gate_names = ("r", "z", "n")

    def __init__(self, input_size: int, hidden_size: int, *, rng: np.random.Generator,
                 dtype=np.float32, **init) -> None:
        super().__init__(input_size, hidden_size, rng=rng, dtype=dtype, **init)
        self.add_param("bias_hidden", xp.zeros(hidden_size, dtype=dtype))
        self.preactivation_scale = xp.concatenate([xp.full(2 * hidden_size, 0.5, dtype=dtype),
                                                   xp.ones(hidden_size, dtype=dtype)])

    def add_buffers(self, tape: Tape) -> None:
        super().add_buffers(tape)
        tape.take("hidden_n", tape["h"].shape, tape["h"].dtype)     # R_n h_{t−1} + b_hn

    def start_backward(self, tape: Tape) -> None:
        tape.take("d_recurrent", tape["gates"].shape, tape["gates"].dtype)

    def forward_step(self, tape, t, prev, n, recurrent):
        a = tape["gates"][t, :n]
        h_prev = self.previous(tape, "h", prev, n)
        hidden_n = tape["hidden_n"][t, :n]
        rz = slice(0, 2 * self.hidden_size)
        if recurrent is not None:
            a[:, rz] += recurrent[:, rz]                 # ½a_{r,z} = ½(W x_t + R h_{t−1} + b)
            xp.add(self.gate(recurrent, "n"), self.params["bias_hidden"], out=hidden_n)
        else:
            hidden_n[...] = self.params["bias_hidden"]
        gates = tanh_(a[:, rz])
        gates *= 0.5
        gates += 0.5                                      # r_t, z_t = ½ tanh(½a) + ½ = σ(a)
        n_t = self.gate(a, "n")
        n_t += xp.multiply(self.gate(a, "r"), hidden_n, out=tape["scratch"][0, :n])
        tanh_(n_t)                                   # n_t = tanh(W_n x + b_n + r ⊙ (R_n h + b_hn))
        h = tape["h"][t, :n]                              # h_t = n_t + z_t ⊙ (h_{t−1} − n_t)
        if h_prev is None:
            xp.negative(n_t, out=h)
        else:
            xp.subtract(h_prev, n_t, out=h)
        h *= self.gate(a, "z")
        h += n_t

    def backward_step(self, tape, t, prev, n, dh):
        a = tape["gates"][t, :n]
        h_prev = self.previous(tape, "h", prev, n)
        d_recurrent = tape["d_recurrent"][t, :n]
        s1, s2, d_n, direct = (buffer[:n] for buffer in tape["scratch"][:4])
        r, z, n_t = self.gate(a, "r"), self.gate(a, "z"), self.gate(a, "n")
        xp.subtract(1.0, z, out=d_n)                      # ∂L/∂a_n = ∂L/∂h_t ⊙ (1 − z_t) ⊙ tanh'
        d_n *= dh
        tanh_grad_(d_n, n_t, s2)
        if h_prev is None:                                # ∂L/∂a_z = ∂L/∂h_t ⊙ (h_{t−1} − n_t) ⊙ σ'
            xp.negative(n_t, out=s1)
        else:
            xp.subtract(h_prev, n_t, out=s1)
        s1 *= dh
        xp.multiply(dh, z, out=direct)                    # ∂L/∂h_{t−1} (direct) = ∂L/∂h_t ⊙ z_t
        sigmoid_grad_(s1, z, s2)
        z[...] = s1
        xp.multiply(d_n, tape["hidden_n"][t, :n], out=s1)  # ∂L/∂a_r = ∂L/∂a_n ⊙ (R_n h + b_hn) ⊙ σ'
        sigmoid_grad_(s1, r, s2)
        xp.multiply(d_n, r, out=self.gate(d_recurrent, "n"))  # ∂L/∂(R_n h) = ∂L/∂a_n ⊙ r_t
        r[...] = s1
        n_t[...] = d_n
        d_recurrent[:, :2 * self.hidden_size] = a[:, :2 * self.hidden_size]
        return d_recurrent, direct

    def recurrent_gate_grads(self, tape: Tape) -> Array:
        return tape["d_recurrent"]

    def finish_backward(self, tape, reverse):
        self.grads["bias_hidden"][...] = self.gate(tape["d_recurrent"], "n").sum(axis=(0, 1))


class RNNCell(Cell):
    """Elman RNN:  h_t = φ(W x_t + R h_{t−1} + b),  φ = tanh or relu."""

    gate_names = ("h",)
    config_options = (("nonlinearity", "rnn_nonlinearity"),)

    def __init__(self, input_size: int, hidden_size: int, *, rng: np.random.Generator,
                 dtype=np.float32, nonlinearity: str = "tanh", **init) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN nonlinearity must be tanh or relu, not {nonlinearity!r}")
        super().__init__(input_size, hidden_size, rng=rng, dtype=dtype, **init)
        self.act, self.act_grad = get_activation(nonlinearity)

    def forward_step(self, tape, t, prev, n, recurrent):
        a = tape["gates"][t, :n]
        if recurrent is not None:
            a += recurrent                                # a_t = W x_t + R h_{t−1} + b
        tape["h"][t, :n] = self.act(a)                    # h_t = φ(a_t)

    def backward_step(self, tape, t, prev, n, dh):
        a = tape["gates"][t, :n]
        d_a = self.act_grad(dh, tape["h"][t, :n], tape["scratch"][0, :n])  # ∂L/∂a_t = ∂L/∂h_t ⊙ φ'
        a[...] = d_a
        return a, None


CELLS = {"lstm": LSTMCell, "gru": GRUCell, "rnn": RNNCell}


def make_cell(kind: str, input_size: int, hidden_size: int, *, rng: np.random.Generator,
              **options) -> Cell:
    """Build a cell by name (`lstm`, `gru`, `rnn`) with its options; the common LSTM is the
    FusedLSTMCell, the same cell computed in fewer steps."""
    try:
        cls = CELLS[kind]
    except KeyError:
        raise ValueError(f"unknown cell {kind!r}; choose from {sorted(CELLS)}") from None
    if cls is LSTMCell and FusedLSTMCell.covers(**options):
        cls = FusedLSTMCell
    return cls(input_size, hidden_size, rng=rng, **options)
