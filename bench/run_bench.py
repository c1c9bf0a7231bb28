"""Benchmark the engine on the five reference shapes, against PyTorch when it is installed.

    python bench/run_bench.py [--repeats 10] [--runs 1] [--shapes Q,S,M,L,E] [--threads 2]

Both sides get the same BLAS threads (numpy's through threadpoolctl, torch.set_num_threads) and
the same work per batch: a training step is the recurrent stack's forward, a linear classifier,
softmax cross-entropy and the backward pass to every weight (the input frames are data, so
neither side is asked for ∂L/∂x: `requires_grad=False` for torch, which its oneDNN kernel may
compute anyway); inference is the forward pass and an argmax. Times are the best of
`--repeats` runs after a warm-up; with `--runs K` the whole measurement is repeated K times and
each number is the best of the K (a shared machine's neighbours spoil single runs). Prints one
table (see bench/README.md for the targets). "train bound" and "infer bound" are the fastest
any schedule of the same NumPy calls could be, over the GEMM floor (`lstm_cli.bench`); "best
train" and "best infer" are the ratios to torch that the bounds leave: today's ratio × (our
time / floor) ÷ (bound / floor).
"""

from __future__ import annotations

import argparse
import platform
import subprocess

import numpy as np
from threadpoolctl import threadpool_limits

from lstm_cli.bench import benchmark, best_time, bounds

SHAPES = {
    "Q": {"batch_size": 16, "seq_len": 12, "input_size": 48, "hidden_size": 64,
          "num_layers": 1, "bidirectional": True},
    "S": {"batch_size": 32, "seq_len": 32, "input_size": 64, "hidden_size": 128,
          "num_layers": 1, "bidirectional": False},
    "M": {"batch_size": 32, "seq_len": 50, "input_size": 128, "hidden_size": 256,
          "num_layers": 2, "bidirectional": True},
    "L": {"batch_size": 64, "seq_len": 100, "input_size": 512, "hidden_size": 512,
          "num_layers": 1, "bidirectional": False},
    "E": {"batch_size": 64, "seq_len": 24, "input_size": 356, "hidden_size": 200,
          "num_layers": 1, "bidirectional": True},
}
NUM_CLASSES = 10


def torch_benchmark(torch, shape: dict, repeats: int) -> dict[str, float]:
    """Tokens/s of nn.LSTM + nn.Linear + cross-entropy, float32, for a training step and
    inference on the same shape."""
    torch.manual_seed(0)
    rnn = torch.nn.LSTM(shape["input_size"], shape["hidden_size"],
                        num_layers=shape["num_layers"], bidirectional=shape["bidirectional"])
    classifier = torch.nn.Linear(shape["hidden_size"] * (1 + shape["bidirectional"]),
                                 NUM_CLASSES)
    steps, batch = shape["seq_len"], shape["batch_size"]
    x = torch.randn(steps, batch, shape["input_size"])
    labels = torch.randint(0, NUM_CLASSES, (steps * batch,))

    def train_step() -> None:
        for module in (rnn, classifier):
            module.zero_grad(set_to_none=True)
        scores = classifier(rnn(x)[0])
        loss = torch.nn.functional.cross_entropy(scores.reshape(-1, NUM_CLASSES), labels)
        loss.backward()

    def infer_step() -> None:
        with torch.inference_mode():
            classifier(rnn(x)[0]).argmax(dim=-1)

    tokens = steps * batch
    return {"train_tokens_per_s": tokens / best_time(train_step, repeats),
            "infer_tokens_per_s": tokens / best_time(infer_step, repeats)}


def cpu_model() -> str:
    try:
        lines = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return platform.processor() or "unknown"
    fields = dict(line.split(":", 1) for line in lines.splitlines() if ":" in line)
    return f"{fields.get('Model name', '?').strip()}, {fields.get('CPU(s)', '?').strip()} CPUs"


def keep_best(best: dict[str, dict], name: str, result: dict) -> None:
    """Merge one run's `result` into `best[name]`: the highest tokens/s, the shortest times,
    and the ratios to the GEMM floor recomputed from those."""
    if name not in best:
        best[name] = result
        return
    merged = best[name]
    for key, value in result.items():
        if key.endswith("tokens_per_s"):
            merged[key] = max(merged[key], value)
        elif key.endswith("_s") and value is not None:
            merged[key] = min(merged[key], value)
    for kind in ("train", "infer") if "train_step_s" in merged else ():
        merged[f"{kind}_vs_floor"] = merged[f"{kind}_step_s"] / merged[f"gemm_floor_{kind}_s"]
    if "activation_floor_s" in merged:
        merged.update(bounds(*(merged[key] for key in (
            "gemm_floor_train_s", "gemm_floor_infer_s", "activation_floor_s",
            "infer_step_floor_s", "train_step_floor_s"))))


def table_row(name: str, ours: dict, theirs: dict | None) -> str:
    """One markdown row: our tokens/s, torch's and the ratios, then our floors, the bounds,
    the best ratio to torch the bounds leave (today's ratio × step/floor ÷ bound/floor), and
    memory."""
    cells = [name]
    for kind in ("train", "infer"):
        key = f"{kind}_tokens_per_s"
        cells.append(f"{ours[key]:,.0f}")
        cells.append(f"{theirs[key]:,.0f}" if theirs else "-")
        cells.append(f"{ours[key] / theirs[key]:.2f}x" if theirs else "-")
    for kind in ("train", "infer"):
        bound = ours.get(f"{kind}_bound_vs_floor")
        cells += [f"{ours[f'{kind}_vs_floor']:.2f}", "-" if bound is None else f"{bound:.2f}"]
        key = f"{kind}_tokens_per_s"
        cells.append("-" if bound is None or not theirs else
                     f"{ours[key] / theirs[key] * ours[f'{kind}_vs_floor'] / bound:.2f}x")
    cells.append(f"{ours['peak_vs_activations']:.2f}")
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--shapes", default="Q,S,M,L,E")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    names = args.shapes.split(",")
    try:
        import torch
    except ImportError:
        torch = None
    ours: dict[str, dict] = {}
    theirs: dict[str, dict] = {}
    for _ in range(args.runs):
        # Ours first, torch after: once torch has run, its OpenMP threads keep spinning for a
        # while and would steal the cores from OpenBLAS.
        with threadpool_limits(limits=args.threads):
            for name in names:
                keep_best(ours, name, benchmark(**SHAPES[name], num_classes=NUM_CLASSES,
                                                threads=args.threads, repeats=args.repeats))
        if torch is not None:
            torch.set_num_threads(args.threads)
            for name in names:
                keep_best(theirs, name, torch_benchmark(torch, SHAPES[name], args.repeats))
    blas = ours[names[0]]["blas"]

    print(f"machine: {cpu_model()}; numpy {np.__version__}; "
          + "; ".join(f"{b['internal_api']} {b['version']} ({b['num_threads']} threads)"
                      for b in blas)
          + (f"; torch {torch.__version__} ({torch.get_num_threads()} threads)" if torch else
             "; torch not installed"))
    header = ("shape", "train tok/s", "torch train", "ratio", "infer tok/s", "torch infer",
              "ratio", "train/floor", "train bound", "best train", "infer/floor",
              "infer bound", "best infer", "peak/act")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for name in names:
        print(table_row(name, ours[name], theirs.get(name)))


if __name__ == "__main__":
    main()
