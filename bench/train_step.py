"""Time one training step of a config's model on its own training data, split into the forward
and backward pass and the update (gradient norm, optimiser, weight average), and estimate the
epoch from it.

    python bench/train_step.py configs/ud-en-ewt-upos.yaml --batches 120 \
        --variant "dense Adam, batch 32:train.optimizer.lazy=false,train.batch_size=32"

Each variant (LABEL:KEY=VALUE,...; none given: the config as it is) builds a fresh model and
trains it on 5 + `--batches` batches of a fixed shuffled order (the same sentences for every
variant of the same batch size), so that every buffer exists; then it times, batch by batch,
the forward and backward pass alone and the whole step, over the last `--batches` batches. The
epoch estimate is the mean step time times the batches in an epoch; it leaves out the progress
bar and the dev evaluation.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from lstm_cli.config import load_config
from lstm_cli.data.batching import iter_batches
from lstm_cli.data.encoding import encode_examples
from lstm_cli.model import build_model
from lstm_cli.train.prepare import prepare_training_data, word_dropout_table
from lstm_cli.train.runlog import RunLog
from lstm_cli.train.step import Updater

WARMUP = 5


def time_variant(config_path: str, overrides: list[str], batches: int) -> dict[str, float]:
    config = load_config(config_path, overrides)
    rng = np.random.default_rng(config.seed)
    splits, vocabs, pretrained, frame_dim = prepare_training_data(config, RunLog(None), rng)
    tagger = build_model(config, vocabs, rng=rng, frame_dim=frame_dim, pretrained=pretrained)
    tagger.word_dropout = word_dropout_table(config, vocabs, splits.train)
    encoded = encode_examples(splits.train, vocabs)
    order = np.random.default_rng(1)
    epoch = list(iter_batches(encoded, config.train.batch_size, shuffle=True, rng=order,
                              bucket=config.train.bucket))
    updater = Updater(config, tagger, steps_per_epoch=len(epoch))
    step_rng = np.random.default_rng(2)
    lr = config.train.optimizer.lr
    timed = epoch[WARMUP:WARMUP + batches]
    forward_backward = whole = 0.0
    with threadpool_limits(config.train.threads):
        for batch in epoch[:WARMUP] + timed:       # every batch shape's buffers made once
            updater.step(batch, lr, step_rng)
        for batch in timed:
            started = time.perf_counter()
            tagger.loss_and_grads(batch, rng=step_rng)
            middle = time.perf_counter()
            updater.step(batch, lr, step_rng)
            forward_backward += middle - started
            whole += time.perf_counter() - middle
    forward_backward, whole = forward_backward / len(timed), whole / len(timed)
    return {"forward_backward_ms": 1e3 * forward_backward,
            "update_ms": 1e3 * (whole - forward_backward), "step_ms": 1e3 * whole,
            "batches_per_epoch": len(epoch), "epoch_s": whole * len(epoch)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config")
    parser.add_argument("--batches", type=int, default=120)
    parser.add_argument("--variant", action="append", default=[],
                        help="LABEL:KEY=VALUE,KEY=VALUE (repeatable)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="time every variant this many times, interleaved; report the best")
    args = parser.parse_args()
    variants = [(label, [item for item in spec.split(",") if item])
                for label, _, spec in (v.partition(":") for v in args.variant)] or [("config", [])]
    best: dict[str, dict[str, float]] = {}
    for _ in range(args.rounds):
        for label, overrides in variants:
            result = time_variant(args.config, overrides, args.batches)
            if label not in best or result["step_ms"] < best[label]["step_ms"]:
                best[label] = result
    print("| variant | forward+backward ms | update ms | step ms | batches | epoch s |\n"
          "|---|---|---|---|---|---|")
    for label, result in best.items():
        print(f"| {label} | {result['forward_backward_ms']:.1f} | {result['update_ms']:.1f} | "
              f"{result['step_ms']:.1f} | {result['batches_per_epoch']} | "
              f"{result['epoch_s']:.1f} |")


if __name__ == "__main__":
    main()
