"""Benchmark the engine: a training step and inference, against the GEMM floor; peak memory.

One training step is what training does per batch: the recurrent stack's forward, the linear
classifier, softmax cross-entropy, and the backward pass to every parameter
(`SequenceTagger.loss_and_grads` on dense frames of `input_size`; nothing learns below the
frames, so ∂L/∂frames is not computed). Inference is the forward pass, keeping no tape
(`keep_tape=False`, as evaluation and predict run it), and an argmax per step.

The GEMM floor is the time of the matrix products alone, in NumPy, with the shapes the schedule
of `engine/recurrent.py` needs, per layer l (input size I_l) and direction, G gates:

    forward    X_l W^T              (T·B, I_l) × (I_l, G·H)        once over all steps
               h_{t−1} R^T          (B, H) × (H, G·H)              per step t ≥ 1
    backward   ∂a_t R               (B, G·H) × (G·H, H)            per step t ≥ 1
               ∂A^T X_l, ∂A^T H     (G·H, T·B) × (T·B, I_l or H)   ∂W, ∂R once over all steps
               ∂A W                 (T·B, G·H) × (G·H, I_l)        ∂X once over all steps, for
                                                                  l ≥ 2 (the frames need none)

plus the classifier's products (forward; ∂W and ∂X in training). `*_vs_floor` is step / floor.

The activation floor is the time of the forward pass's transcendental functions alone, each as
one `np.tanh` call over all steps at once (the cheapest NumPy can do them): per layer and
direction, tanh over the gate pre-activations (T·B, G·H) — the fused cells take every sigmoid
as ½ tanh(½a) + ½ — plus tanh(c_t) (T·B, H) for the LSTM.

The step floors (LSTM): every step's elementwise equations wait for the step before, so they
are NumPy calls per step on (B, H) arrays, where a call's fixed cost weighs as much as its
arithmetic. The inference step floor is the fused LSTM's per-step elementwise calls alone, every
layer and step, a layer's directions stacked as the engine runs them: R h_{t−1} + (W x_t + b)
and `FusedLSTMCell.forward_equations`, nine calls, one per elementwise result the equations
need (NumPy has no ufunc that fuses two of them; a layout keeping c_{t−1} beside g_t could
take i_t ⊙ g_t and f_t ⊙ c_{t−1} in one call, one call fewer); the training step floor adds the
tape's copy forwards, and the copy back, ∂L/∂h_t's sum and `backward_equations` backwards. They
run on the same preallocated contiguous buffers at every step (so those stay in cache), without
the GEMMs and without the loop's own Python.

No NumPy schedule of the step runs faster than the GEMM floor plus the larger of the two
floors for inference (`infer_bound_vs_floor`, over the GEMM floor), or plus the training step
floor for training (`train_bound_vs_floor`), short of fewer calls per step than these.

`activation_bytes` counts the buffers the backward pass must keep: the stack's input and, per
layer and direction, the tape (pre-activations/gates, h, and c and φ(c) for the LSTM, R_n h + b_hn
for the GRU). A layer above the first reads the h of the layer below, so it is counted once.
`peak_bytes` is the peak of memory traced by `tracemalloc` (NumPy reports its buffers to it)
over the first training step of a fresh model, above what was allocated before the step: the
buffers the engine keeps for reuse from one batch to the next are allocated, and counted, there.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from lstm_cli.engine.backend import resolve_dtype
from lstm_cli.engine.cells import FusedLSTMCell
from lstm_cli.engine.tagger import SequenceTagger

GATES = {"lstm": 4, "gru": 3, "rnn": 1}
EXTRA_TAPES = {"lstm": 2, "gru": 1, "rnn": 0}    # [T, B, H] buffers beyond gates and h


@dataclass
class Shape:
    """The problem being timed."""

    cell: str
    batch_size: int
    seq_len: int
    input_size: int
    hidden_size: int
    num_layers: int
    bidirectional: bool
    num_classes: int
    dtype: str

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    def layer_input_sizes(self) -> list[int]:
        return [self.input_size] + [self.directions * self.hidden_size] * (self.num_layers - 1)


@dataclass
class DenseBatch:
    """The attributes of a data batch that `SequenceTagger` reads, for frames only."""

    frames: np.ndarray
    lengths: np.ndarray
    mask: np.ndarray
    label_ids: np.ndarray
    token_ids: None = None
    feature_ids: dict = field(default_factory=dict)


def best_time(fn: Callable[[], object], repeats: int, *,
              clock: Callable[[], float] = time.perf_counter) -> float:
    """The shortest time of `repeats` calls of `fn` by `clock` (wall time unless told),
    after one warm-up call."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = clock()
        fn()
        best = min(best, clock() - start)
    return best


def paired_times(runs: dict[str, Callable[[], object]], pairs: int, *,
                 clock: Callable[[], float] = time.perf_counter) -> dict[str, list[float]]:
    """Each of `runs` timed `pairs` times, taking turns call by call (so a change of load hits
    them alike), after one warm-up call each: {name: [seconds, …]}."""
    for run in runs.values():
        run()
    times: dict[str, list[float]] = {key: [] for key in runs}
    for _ in range(pairs):
        for key, run in runs.items():
            start = clock()
            run()
            times[key].append(clock() - start)
    return times


def make_problem(shape: Shape, rng: np.random.Generator) -> tuple[SequenceTagger, DenseBatch]:
    """A tagger over dense frames and one full-length batch of random frames and labels."""
    dtype = resolve_dtype(shape.dtype)
    tagger = SequenceTagger(
        num_labels=shape.num_classes, rng=rng, dtype=dtype, frame_dim=shape.input_size,
        cell=shape.cell, hidden_size=shape.hidden_size, num_layers=shape.num_layers,
        bidirectional=shape.bidirectional)
    steps, batch = shape.seq_len, shape.batch_size
    batch_data = DenseBatch(
        frames=rng.standard_normal((steps, batch, shape.input_size)).astype(dtype),
        lengths=np.full(batch, steps, dtype=np.int64),
        mask=np.ones((steps, batch), dtype=bool),
        label_ids=rng.integers(0, shape.num_classes, size=(steps, batch)))
    return tagger, batch_data


def gemm_floor(shape: Shape, rng: np.random.Generator) -> tuple[Callable[[], None],
                                                                  Callable[[], None]]:
    """(training products, inference products): the schedule's GEMMs on random operands."""
    dtype = resolve_dtype(shape.dtype)
    steps, batch, hidden = shape.seq_len, shape.batch_size, shape.hidden_size
    gate_size, tokens = GATES[shape.cell] * hidden, steps * batch

    def rand(*dims: int) -> np.ndarray:
        return rng.standard_normal(dims).astype(dtype)

    units = []
    for layer, input_size in enumerate(shape.layer_input_sizes()):
        for _ in range(shape.directions):
            units.append({"needs_dx": layer > 0,
                "x": rand(tokens, input_size), "w": rand(gate_size, input_size),
                "w_t": rand(input_size, gate_size), "r": rand(gate_size, hidden),
                "r_t": rand(hidden, gate_size), "gates": rand(steps, batch, gate_size),
                "h": rand(steps, batch, hidden), "step": rand(batch, gate_size),
                "d_h": rand(batch, hidden)})
    top = rand(tokens, shape.directions * hidden)
    classifier, classifier_t = rand(shape.num_classes, top.shape[1]), rand(top.shape[1],
                                                                            shape.num_classes)
    scores = rand(tokens, shape.num_classes)

    def forward() -> None:
        for unit in units:
            np.matmul(unit["x"], unit["w_t"], out=unit["gates"].reshape(tokens, gate_size))
            for t in range(1, steps):
                np.matmul(unit["h"][t - 1], unit["r_t"], out=unit["step"])
        np.matmul(top, classifier_t, out=scores)

    def train() -> None:
        forward()
        _ = scores.T @ top, scores @ classifier
        for unit in units:
            d_gates = unit["gates"]
            for t in range(steps - 1, 0, -1):
                np.matmul(d_gates[t], unit["r"], out=unit["d_h"])
            d_2d = d_gates.reshape(tokens, gate_size)
            _ = d_2d.T @ unit["x"]
            if unit["needs_dx"]:
                _ = d_2d @ unit["w"]
            _ = d_gates[1:].reshape(-1, gate_size).T @ unit["h"][:-1].reshape(-1, hidden)

    return train, forward


def activation_floor(shape: Shape, rng: np.random.Generator) -> Callable[[], None]:
    """The forward pass's tanh calls, each over all steps at once (see the module docstring)."""
    dtype = resolve_dtype(shape.dtype)
    tokens, hidden = shape.seq_len * shape.batch_size, shape.hidden_size
    widths = [GATES[shape.cell] * hidden] + ([hidden] if shape.cell == "lstm" else [])
    arrays = [rng.standard_normal((tokens, width)).astype(dtype)
              for _ in range(shape.num_layers * shape.directions) for width in widths]
    outputs = [np.empty_like(array) for array in arrays]

    def activations() -> None:
        for array, out in zip(arrays, outputs, strict=True):
            np.tanh(array, out=out)

    return activations


def step_floors(shape: Shape, rng: np.random.Generator
                ) -> tuple[Callable[[], None], Callable[[], None]] | None:
    """(inference, training): the LSTM's per-step elementwise work alone, forwards only and
    forwards then backwards (see the module docstring); None for the GRU and the Elman RNN."""
    if shape.cell != "lstm":
        return None
    dtype = resolve_dtype(shape.dtype)
    steps, hidden = shape.seq_len, shape.hidden_size
    state = (shape.directions, shape.batch_size, hidden)      # a layer's directions stacked
    cell = FusedLSTMCell(hidden, hidden, rng=rng, dtype=dtype)

    def rand(*dims: int) -> np.ndarray:
        return (0.5 * rng.standard_normal(dims)).astype(dtype)

    product, projection, tape = (rand(4, *state) for _ in range(3))
    a, d_a = np.empty_like(product), np.empty_like(product)
    c_prev, cell_out, d_hidden, d_h_next = (rand(*state) for _ in range(4))
    c, h, d_h, d_c, d_c_prev, *scratch = (np.zeros(state, dtype) for _ in range(8))
    d_sigmoid = np.empty((3, *state), dtype)

    def forward_steps(keep_tape: bool) -> None:
        for _ in range(steps):                     # a = R h_{t−1} + (W x_t + b); the tape
            np.add(product, projection, out=a)
            cell.forward_equations(a, c_prev, c, cell_out, h, scratch[0])
            if keep_tape:
                np.copyto(tape, a)

    def inference() -> None:
        for _ in range(shape.num_layers):
            forward_steps(keep_tape=False)

    def training() -> None:
        for _ in range(shape.num_layers):
            forward_steps(keep_tape=True)
            d_c.fill(0)
            for _ in range(steps):
                np.copyto(a, tape)
                np.add(d_hidden, d_h_next, out=d_h)
                cell.backward_equations(a, c_prev, cell_out, d_c, d_c_prev, d_h, d_a,
                                        d_sigmoid, *scratch)

    return inference, training


def bounds(gemm_floor_train_s: float, gemm_floor_infer_s: float, activation_floor_s: float,
           infer_step_floor_s: float | None, train_step_floor_s: float | None
           ) -> dict[str, float | None]:
    """The fastest any NumPy schedule of the step can be, over the GEMM floor: inference by the
    larger of its activation floor and its step floor (the step floor where there is one),
    training by its step floor (None without one)."""
    infer_extra = max(activation_floor_s, infer_step_floor_s or 0.0)
    return {"infer_bound_vs_floor": 1 + infer_extra / gemm_floor_infer_s,
            "train_bound_vs_floor": None if train_step_floor_s is None
            else 1 + train_step_floor_s / gemm_floor_train_s}


def activation_bytes(shape: Shape) -> int:
    """Bytes of the buffers the backward pass keeps (see the module docstring)."""
    per_unit = GATES[shape.cell] * shape.hidden_size + (1 + EXTRA_TAPES[shape.cell]) \
        * shape.hidden_size
    values = shape.input_size + shape.num_layers * shape.directions * per_unit
    return values * shape.seq_len * shape.batch_size * resolve_dtype(shape.dtype).itemsize


def peak_step_bytes(step: Callable[[], object]) -> int:
    """Peak traced memory during one call of `step`, above what was allocated before it."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        step()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def blas_summary() -> list[dict[str, Any]]:
    """Which BLAS / OpenMP libraries are loaded, their versions and thread counts."""
    keys = ("user_api", "internal_api", "version", "num_threads", "architecture")
    return [{key: info.get(key) for key in keys} for info in threadpool_info()]


def benchmark(cell: str = "lstm", batch_size: int = 32, seq_len: int = 32, input_size: int = 64,
              hidden_size: int = 128, num_layers: int = 1, bidirectional: bool = False,
              num_classes: int = 10, threads: int | None = None, repeats: int = 5,
              dtype: str = "float32") -> dict[str, Any]:
    """Time a training step and inference of the engine (best of `repeats`), their GEMM floors,
    and the peak memory of a training step; `threads` limits the BLAS threads."""
    if cell not in GATES:
        raise ValueError(f"unknown cell {cell!r}; choose from {sorted(GATES)}")
    shape = Shape(cell, batch_size, seq_len, input_size, hidden_size, num_layers, bidirectional,
                  num_classes, dtype)
    rng = np.random.default_rng(0)
    tagger, batch = make_problem(shape, rng)
    floor_train, floor_infer = gemm_floor(shape, rng)

    def train_step() -> None:
        tagger.loss_and_grads(batch, train=True)

    def infer_step() -> None:
        scores, _ = tagger.scores(batch, keep_tape=False)
        scores.argmax(axis=-1)

    limits = threadpool_limits(limits=threads) if threads else nullcontext()
    with limits:
        train_s, infer_s = best_time(train_step, repeats), best_time(infer_step, repeats)
        floor_train_s = best_time(floor_train, repeats)
        floor_infer_s = best_time(floor_infer, repeats)
        activation_s = best_time(activation_floor(shape, rng), repeats)
        floors = step_floors(shape, rng)
        infer_steps_s, train_steps_s = (None, None) if floors is None else (
            best_time(floor, repeats) for floor in floors)
        blas = blas_summary()
        fresh_tagger, fresh_batch = make_problem(shape, np.random.default_rng(0))
        peak = peak_step_bytes(lambda: fresh_tagger.loss_and_grads(fresh_batch, train=True))
    activations = activation_bytes(shape)
    tokens = batch_size * seq_len
    blas_threads = [entry["num_threads"] for entry in blas if entry["user_api"] == "blas"]
    return {
        "train_tokens_per_s": tokens / train_s,
        "infer_tokens_per_s": tokens / infer_s,
        "train_step_s": train_s,
        "infer_step_s": infer_s,
        "gemm_floor_train_s": floor_train_s,
        "gemm_floor_infer_s": floor_infer_s,
        "train_vs_floor": train_s / floor_train_s,
        "infer_vs_floor": infer_s / floor_infer_s,
        "activation_floor_s": activation_s,
        "infer_step_floor_s": infer_steps_s,
        "train_step_floor_s": train_steps_s,
        **bounds(floor_train_s, floor_infer_s, activation_s, infer_steps_s, train_steps_s),
        "peak_bytes": peak,
        "activation_bytes": activations,
        "peak_vs_activations": peak / activations,
        "shape": {name: getattr(shape, name) for name in shape.__dataclass_fields__},
        "threads": threads if threads else (blas_threads[0] if blas_threads else None),
        "blas": blas,
    }
