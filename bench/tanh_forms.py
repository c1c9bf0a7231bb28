"""float32 tanh: NumPy's kernel against the exp form of `engine/backend.py`, at this process's
NumPy dispatch level, per element and in the engine (Q, S, E shapes, one thread, CPU time).

    python bench/tanh_forms.py
    NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR" python bench/tanh_forms.py
    NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR X86_V3" python bench/tanh_forms.py

The engine uses NumPy's tanh where NumPy dispatches float32 tanh above its baseline
(`backend.float32_tanh_is_vectorised`), else the exp form; this shows which is faster.
"""

from __future__ import annotations

import time
from functools import partial

import numpy as np
from numpy.lib.introspect import opt_func_info
from threadpoolctl import threadpool_limits

from lstm_cli.bench import Shape, best_time, make_problem
from lstm_cli.engine import activations, backend, cells

SHAPES = {"Q": (16, 12, 48, 64, 1, True), "S": (32, 32, 64, 128, 1, False),
          "E": (64, 24, 356, 200, 1, True)}


def per_element_ns(fn, size: int = 16384, calls: int = 5000) -> float:
    """The fastest of `calls` calls of fn(x, out=...) on `size` float32 values, ns/element."""
    x = np.random.default_rng(0).standard_normal(size).astype(np.float32) * 3
    out = np.empty_like(x)
    best = float("inf")
    for _ in range(calls):
        start = time.perf_counter_ns()
        fn(x, out=out)
        best = min(best, time.perf_counter_ns() - start)
    return best / size


def step_ms(step, repeats: int) -> float:
    """The fastest of `repeats` calls of `step` in CPU time, ms."""
    return best_time(step, repeats, clock=time.process_time) * 1e3


def infer_step(tagger, batch) -> None:
    tagger.scores(batch)[0].argmax(-1)


def main() -> None:
    target = opt_func_info(func_name="^tanh$", signature="float32")["tanh"]["ff"]["current"]
    chosen = "numpy" if backend.tanh is np.tanh else "exp form"
    print(f"numpy {np.__version__}, float32 tanh dispatched to {target}; the engine uses the "
          f"{chosen}")
    print(f"per element: numpy tanh {per_element_ns(np.tanh):.2f} ns, exp form "
          f"{per_element_ns(backend.tanh_from_exp):.2f} ns")
    print("| shape | tanh | train ms | infer ms |")
    print("|---|---|---|---|")
    with threadpool_limits(1):
        for name, dims in SHAPES.items():
            tagger, batch = make_problem(Shape("lstm", *dims, 10, "float32"),
                                         np.random.default_rng(0))
            repeats = 100 if name in "QS" else 10
            for label, fn in (("numpy", np.tanh), ("exp form", backend.tanh_from_exp)):
                cells.tanh = activations.tanh = fn
                train = step_ms(partial(tagger.loss_and_grads, batch, train=True), repeats)
                infer = step_ms(partial(infer_step, tagger, batch), repeats)
                print(f"| {name} | {label} | {train:.2f} | {infer:.2f} |")
    cells.tanh = activations.tanh = backend.tanh


if __name__ == "__main__":
    main()
