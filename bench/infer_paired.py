"""Inference with and without the tape, paired in one process, on the reference shapes.

    python bench/infer_paired.py [--shapes Q,S,M,L,E] [--threads 1] [--pairs 20]

`SequenceTagger.scores` keeping the tape (the taped forward: what evaluation ran before the
forward-only pass, and what a training step's forward still is) against `keep_tape=False`
(`engine/forward_only.py`), alternately call by call, each followed by an argmax as in
`lstm bench`. At one thread the clock is CPU time (`time.process_time`), which neighbours on a
shared machine disturb less; at more threads it is wall time. Prints each shape's best times
and the median of the per-pair speed-ups (taped time / untaped time), after checking that both
give the same scores.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from run_bench import NUM_CLASSES, SHAPES
from threadpoolctl import threadpool_limits

from lstm_cli.bench import Shape, make_problem, paired_times


def paired(name: str, threads: int, pairs: int) -> str:
    """One shape's line: best taped and untaped times, median per-pair speed-up."""
    shape = Shape("lstm", **SHAPES[name], num_classes=NUM_CLASSES, dtype="float32")
    tagger, batch = make_problem(shape, np.random.default_rng(0))
    clock = time.process_time if threads == 1 else time.perf_counter
    runs = {"taped": lambda: tagger.scores(batch)[0].argmax(axis=-1),
            "untaped": lambda: tagger.scores(batch, keep_tape=False)[0].argmax(axis=-1)}
    with threadpool_limits(limits=threads):
        taped, untaped = tagger.scores(batch)[0], tagger.scores(batch, keep_tape=False)[0]
        np.testing.assert_allclose(untaped, taped, rtol=1e-5, atol=1e-6)
        times = paired_times(runs, pairs, clock=clock)
    speedup = statistics.median(a / b for a, b in zip(times["taped"], times["untaped"],
                                                      strict=True))
    return (f"| {name} | {min(times['taped']) * 1e3:.3f} | {min(times['untaped']) * 1e3:.3f} | "
            f"{speedup:.2f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", default="Q,S,M,L,E")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--pairs", type=int, default=20)
    args = parser.parse_args()
    kind = "CPU" if args.threads == 1 else "wall"
    print(f"{args.threads} BLAS thread(s), {args.pairs} pairs, {kind} ms, best of each")
    print("| shape | taped | without tape | median speed-up |")
    print("|---|---|---|---|")
    for name in args.shapes.split(","):
        print(paired(name, args.threads, args.pairs), flush=True)


if __name__ == "__main__":
    main()
