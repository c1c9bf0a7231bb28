"""This checkout's engine against another commit's, paired in one process, on the reference shapes.

    python bench/engine_paired.py --baseline main [--mode train|infer] [--shapes Q,S,M,L,E]
        [--threads 1] [--pairs 20]

The baseline's `lstm_cli` (`git archive BASELINE lstm_cli`) is unpacked into a temporary
directory as the package `lstm_cli_baseline`, so both engines load side by side. Each shape's
tagger is built from the same seed by both, and their training steps (`loss_and_grads`) or
forward passes without a tape (`scores(keep_tape=False)` and an argmax, as `lstm bench`) run
alternately, call by call. At one thread the clock is CPU time (`time.process_time`, which
neighbours on a shared machine disturb less; pin the process with `taskset -c 1` as well); at
more threads it is wall time. Prints each shape's best times, the median of the per-pair
speed-ups (baseline time / this checkout's time) and whether the two give the same gradients
(training) or scores (inference) bit for bit, or else their largest relative difference.
"""

from __future__ import annotations

import argparse
import io
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np
from run_bench import NUM_CLASSES, SHAPES
from threadpoolctl import threadpool_limits

import lstm_cli.bench as this_bench

BASELINE_PACKAGE = "lstm_cli_baseline"


def import_baseline(commit: str, directory: Path):
    """The baseline commit's `lstm_cli.bench`, imported as `lstm_cli_baseline.bench`."""
    repository = Path(__file__).resolve().parent.parent
    archive = subprocess.run(["git", "archive", commit, "lstm_cli"], cwd=repository,
                             capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(directory, filter="data")
    package = directory / BASELINE_PACKAGE
    (directory / "lstm_cli").rename(package)
    for path in package.rglob("*.py"):
        path.write_text(re.sub(r"\blstm_cli\b", BASELINE_PACKAGE, path.read_text()))
    sys.path.insert(0, str(directory))
    return __import__(f"{BASELINE_PACKAGE}.bench", fromlist=["bench"])


def outputs(tagger, batch, mode: str) -> dict[str, np.ndarray]:
    """The arrays compared between the engines: every gradient, or the scores."""
    if mode == "infer":
        return {"scores": tagger.scores(batch, keep_tape=False)[0]}
    tagger.loss_and_grads(batch)
    return {name: grad.copy() for name, grad in tagger.named_grads().items()}


def paired(name: str, engines: dict, mode: str, threads: int, pairs: int) -> str:
    """One shape's table row."""
    runs, results = {}, {}
    for key, bench in engines.items():
        shape = bench.Shape("lstm", **SHAPES[name], num_classes=NUM_CLASSES, dtype="float32")
        tagger, batch = bench.make_problem(shape, np.random.default_rng(0))
        runs[key] = ((lambda t=tagger, b=batch: t.scores(b, keep_tape=False)[0].argmax(-1))
                     if mode == "infer" else (lambda t=tagger, b=batch: t.loss_and_grads(b)))
        results[key] = (tagger, batch)
    clock = time.process_time if threads == 1 else time.perf_counter
    with threadpool_limits(limits=threads):
        base, this = (outputs(*results[key], mode) for key in ("baseline", "this"))
        times = this_bench.paired_times(runs, pairs, clock=clock)
    same = all(np.array_equal(base[key], this[key]) for key in base)
    difference = max(float(np.abs(base[key] - this[key]).max() / (np.abs(base[key]).max() or 1))
                     for key in base)
    speedup = statistics.median(a / b for a, b in zip(times["baseline"], times["this"],
                                                      strict=True))
    agreement = "bit for bit" if same else f"max rel. diff {difference:.1e}"
    return (f"| {name} | {min(times['baseline']) * 1e3:.3f} | {min(times['this']) * 1e3:.3f} | "
            f"{speedup:.3f}x | {agreement} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="main", help="a commit, branch or tag")
    parser.add_argument("--mode", choices=("train", "infer"), default="train")
    parser.add_argument("--shapes", default="Q,S,M,L,E")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--pairs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        engines = {"baseline": import_baseline(args.baseline, Path(directory)),
                   "this": this_bench}
        kind = "CPU" if args.threads == 1 else "wall"
        print(f"{args.mode}, {args.threads} BLAS thread(s), {args.pairs} pairs, {kind} ms, "
              f"best of each")
        print(f"| shape | {args.baseline} | this checkout | median speed-up | same output |")
        print("|---|---|---|---|---|")
        for name in args.shapes.split(","):
            print(paired(name, engines, args.mode, args.threads, args.pairs), flush=True)


if __name__ == "__main__":
    main()
