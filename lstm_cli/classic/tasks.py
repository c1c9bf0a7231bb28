"""The classic long-time-lag tasks, each with its model and its paper's criterion of success.

A task gives
  config        the `data.builtin`, `model` and `train` sections of configs/classic/<name>.yaml
                (an LSTM with forget gates and no peepholes; `lstm classic` swaps the cell);
  a trial       one run's data, drawn from the run's Generator: fresh training sequences (the
                papers train online, on a new sequence each time, except embedded Reber's fixed
                set of 256 strings) and the held-out data the stopping rule needs;
  stopping rule when the run counts as solved:
    window      Hochreiter & Schmidhuber (1997), experiments 4 and 6: the most recent 2000
                training sequences were all processed correctly (judged on the forward pass
                that trained on them) and their average error is below the paper's threshold;
    test        embedded Reber (1997, experiment 1): every string of the training and the test
                set predicted correctly — at every step the outputs of exactly the grammatical
                next symbols are the most active (`eval.sequence_metrics.symbols_ranked_first`);
                continual Reber (Gers et al. 2000): a held-out stream predicted without an error.

"Sequences" count training presentations; for continual Reber, embedded Reber strings begun in
the training windows (one window of W symbols holds about W / 12 strings).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from lstm_cli.data.batching import make_batch
from lstm_cli.data.encoding import EncodedExample, WordTypeCache, encode_example
from lstm_cli.data.generators.adding import generate_adding_examples
from lstm_cli.data.generators.continual_reber import (
    allowed_next_stream,
    continual_reber_stream,
    generate_continual_reber,
)
from lstm_cli.data.generators.parity import generate_parity_sequence
from lstm_cli.data.generators.reber import allowed_next, generate_reber
from lstm_cli.data.generators.temporal_order import (
    generate_temporal_order,
    generate_temporal_order_3,
)
from lstm_cli.data.types import Example
from lstm_cli.data.vocab import Vocabs
from lstm_cli.engine.tagger import SequenceTagger
from lstm_cli.eval.sequence_metrics import (
    allowed_mask,
    consecutive_correct,
    strings_solved,
    symbols_ranked_first,
)

WINDOW = 2000
"""The 1997 stopping rule looks at this many most recent training sequences."""
CLASS_TOLERANCE = 0.3
"""1997, experiment 6: a sequence is classified correctly when every output is within 0.3 of its
target (0/1); with softmax outputs, p(correct class) > 0.7."""


def _config(builtin: str, size: int, model: dict[str, Any], train: dict[str, Any],
            metric: str) -> dict[str, Any]:
    """A classic config: unidirectional LSTM with forget gates (no peepholes), Adam, clipping."""
    return {
        "seed": 0,
        "data": {"format": "dense" if builtin == "adding" else "jsonl",
                 "builtin": {"name": builtin, "seed": 0, "size": size}},
        "model": {"cell": "lstm", "peepholes": False, "bidirectional": False,
                  "num_layers": 1, **model},
        "train": {"epochs": 20, "clip_norm": 1.0, "bucket": True, "threads": 1,
                  "early_stopping": {"metric": metric}, **train},
    }


@dataclass
class Trial:
    """One run's data and progress towards its stopping rule (subclasses fill in the rule).

    `vocab_examples` fixes the vocabularies; `draw(n)` gives the next n training sequences;
    `observe` sees each training batch's scores before the update; `solved(tagger, vocabs,
    seen)` applies the rule after `seen` sequences; `detail()` gives the run's final numbers,
    the headline first (the score of an unsolved run, too).
    """

    rng: np.random.Generator
    vocab_examples: list[Example] = field(default_factory=list)

    def draw(self, count: int) -> list[Example]:
        raise NotImplementedError

    def encode(self, examples: list[Example], vocabs: Vocabs) -> list[EncodedExample]:
        """`examples` encoded for the model."""
        cache = WordTypeCache(vocabs)
        return [encode_example(example, vocabs, cache=cache) for example in examples]

    def sequences(self, examples: list[Example]) -> int:
        """How many training sequences `examples` count as."""
        return len(examples)

    def observe(self, tagger: SequenceTagger, scores: np.ndarray, batch) -> None:
        """Record the training pass over `batch` (before the update)."""

    def solved(self, tagger: SequenceTagger, vocabs: Vocabs, seen: int) -> bool:
        raise NotImplementedError

    def detail(self) -> dict[str, Any]:
        return {}


@dataclass
class WindowTrial(Trial):
    """Fresh sequences from `generate`; solved by the 1997 rule over the last WINDOW sequences."""

    generate: Any = None
    threshold: float = 0.1
    tolerance: float = 0.04
    recent: deque = field(default_factory=deque)      # (correct, error) of the last WINDOW
    wrong: int = 0                                     # how many of `recent` are not correct
    error_sum: float = 0.0

    def __post_init__(self) -> None:
        self.vocab_examples = self.generate(self.rng, 500)   # every symbol and class, w.h.p.

    def draw(self, count: int) -> list[Example]:
        return self.generate(self.rng, count)

    def observe(self, tagger: SequenceTagger, scores: np.ndarray, batch) -> None:
        output = tagger.output
        if output.targets.real:
            predicted = np.stack(output.decode(scores, batch.lengths)).astype(np.float64)
            error = predicted - batch.sequence_values                      # (B, K)
            correct = (np.abs(error) < self.tolerance).all(axis=1)
        else:
            probs = np.concatenate(output.probabilities(scores, batch.lengths))   # (B, C)
            target = np.eye(probs.shape[1])[batch.sequence_label_ids]
            error = probs.astype(np.float64) - target
            correct = (np.abs(error) < CLASS_TOLERANCE).all(axis=1)
        for item in zip(correct.tolist(), (error ** 2).mean(axis=1).tolist(), strict=True):
            self.recent.append(item)
            self.wrong += not item[0]
            self.error_sum += item[1]
            if len(self.recent) > WINDOW:
                was_correct, old_error = self.recent.popleft()
                self.wrong -= not was_correct
                self.error_sum -= old_error

    def solved(self, tagger: SequenceTagger, vocabs: Vocabs, seen: int) -> bool:
        return (len(self.recent) == WINDOW and self.wrong == 0
                and self.error_sum / WINDOW < self.threshold)

    def detail(self) -> dict[str, Any]:
        if not self.recent:
            return {}
        return {"recent_correct": 1 - self.wrong / len(self.recent),
                "recent_error": self.error_sum / len(self.recent)}


def _probabilities(tagger: SequenceTagger, encoded: list[EncodedExample],
                   batch_size: int = 256) -> list[np.ndarray]:
    """Per-step output probabilities (length, C) of each encoded example, in input order."""
    probs: list[np.ndarray] = [np.zeros(0)] * len(encoded)
    for start in range(0, len(encoded), batch_size):
        chunk = encoded[start:start + batch_size]
        batch = make_batch(chunk, index=range(start, start + len(chunk)))
        scores, _ = tagger.scores(batch, keep_tape=False)
        for column, p in enumerate(tagger.output.probabilities(scores, batch.lengths)):
            probs[batch.index[column]] = p
    return probs


@dataclass
class ReberTrial(Trial):
    """1997, experiment 1: 256 training strings, presented in random order, and 256 test strings
    not in the training set; solved when every string of both is predicted correctly."""

    train_set: list[Example] = field(default_factory=list)
    test_set: list[Example] = field(default_factory=list)
    eval_every: int = 256
    last_eval: int = 0
    scores: dict[str, float] = field(default_factory=dict)
    encoded: dict[int, EncodedExample] = field(default_factory=dict)   # by id(): a fixed set
    masks: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.train_set = generate_reber(self.rng, 256)
        known = {tuple(e.tokens) for e in self.train_set}
        while len(self.test_set) < 256:
            (example,) = generate_reber(self.rng, 1)
            if tuple(example.tokens) not in known:
                self.test_set.append(example)
        self.vocab_examples = self.train_set

    def draw(self, count: int) -> list[Example]:
        return [self.train_set[i] for i in self.rng.integers(len(self.train_set), size=count)]

    def encode(self, examples: list[Example], vocabs: Vocabs) -> list[EncodedExample]:
        for example in examples:
            if id(example) not in self.encoded:
                self.encoded[id(example)] = encode_example(example, vocabs)
        return [self.encoded[id(example)] for example in examples]

    def solved(self, tagger: SequenceTagger, vocabs: Vocabs, seen: int) -> bool:
        if seen - self.last_eval < self.eval_every:
            return False
        self.last_eval = seen
        for name, examples in (("test", self.test_set), ("train", self.train_set)):
            if name not in self.masks:
                self.masks[name] = [allowed_mask(allowed_next(e.tokens), vocabs.labels.labels)
                                    for e in examples]
            probs = _probabilities(tagger, self.encode(examples, vocabs))
            solved = strings_solved(probs, self.masks[name])
            self.scores[f"{name}_strings_solved"] = float(np.mean(solved))
        return self.scores["train_strings_solved"] == self.scores["test_strings_solved"] == 1.0

    def detail(self) -> dict[str, Any]:
        return dict(self.scores)


@dataclass
class ContinualReberTrial(Trial):
    """Gers et al. (2000): train on windows of `window` symbols cut from the continual stream
    (each starting at a string's `B`, state zero at the window's start); solved when a held-out
    stream of `test_length` symbols is predicted without an error, in one pass with no reset."""

    window: int = 100
    test_length: int = 1000
    eval_every: int = 2000
    last_eval: int = 0
    test_stream: Example | None = None
    scores: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        stream = continual_reber_stream(self.rng, self.test_length + 1)
        self.test_stream = Example(tokens=stream[:-1], labels=stream[1:], source="test stream")
        self.vocab_examples = [self.test_stream]

    def draw(self, count: int) -> list[Example]:
        return generate_continual_reber(self.rng, count, length=self.window)

    def sequences(self, examples: list[Example]) -> int:
        return sum(e.tokens.count("B") for e in examples)

    def solved(self, tagger: SequenceTagger, vocabs: Vocabs, seen: int) -> bool:
        if seen - self.last_eval < self.eval_every:
            return False
        self.last_eval = seen
        tokens = self.test_stream.tokens
        (probs,) = _probabilities(tagger, self.encode([self.test_stream], vocabs))
        correct = symbols_ranked_first(probs, allowed_mask(allowed_next_stream(tokens),
                                                           vocabs.labels.labels))
        self.scores = {"consecutive_correct": consecutive_correct(correct),
                       "test_steps_correct": float(correct.mean())}
        return bool(correct.all())

    def detail(self) -> dict[str, Any]:
        return dict(self.scores)


@dataclass(frozen=True)
class Task:
    """A classic task: what `lstm classic` trains and how it judges it."""

    name: str
    paper: str
    description: str
    config: dict[str, Any]
    rule: str
    default_budget: int
    paper_budget: int
    paper_result: str
    trial_options: dict[str, Any] = field(default_factory=dict)
    paper_options: dict[str, Any] = field(default_factory=dict)

    def trial(self, rng: np.random.Generator, *, paper_scale: bool = False) -> Trial:
        """A fresh trial of this task, its data drawn from `rng`."""
        options = {**self.trial_options, **(self.paper_options if paper_scale else {})}
        if self.name == "embedded-reber":
            return ReberTrial(rng, **options)
        if self.name == "continual-reber":
            return ContinualReberTrial(rng, **options)
        return WindowTrial(rng, **options)


LONG_LAG_INIT = {"forget_bias": 5.0, "input_bias": -3.0}
"""Gates at the start of the long-lag tasks with distractors (adding, temporal order): forget
gates open (σ(5) ≈ 0.993, close to the 1997 cell, which had none) and input gates nearly shut
(σ(−3) ≈ 0.05, as the 1997 experiments biased them), so the cells neither leak nor fill with
distractors before they learn what to store. Embedded and continual Reber keep the defaults:
there the forget gate must learn to reset."""

TASKS: dict[str, Task] = {task.name: task for task in (
    Task("embedded-reber", "1997, exp. 1",
         "next-symbol prediction, embedded Reber grammar (lag: the second symbol, needed "
         "again at the second-to-last)",
         _config("embedded-reber", 1000,
                 {"hidden_size": 16, "embedding": {"dim": 8}, "output": "softmax"},
                 {"batch_size": 16, "optimizer": {"name": "adam", "lr": 0.02}}, "loss"),
         "test", default_budget=20_000, paper_budget=100_000,
         paper_result="LSTM 100 % of trials solved, after 8,440–39,740 sequences (by "
                      "architecture); Elman 0 %"),
    Task("continual-reber", "Gers et al. 2000",
         "embedded Reber strings as one unsegmented stream, no state resets",
         _config("continual-reber", 200,
                 {"hidden_size": 16, "embedding": {"dim": 8}, "output": "softmax"},
                 {"batch_size": 16, "optimizer": {"name": "adam", "lr": 0.02}}, "loss"),
         "test", default_budget=100_000, paper_budget=1_000_000,
         paper_result="LSTM with forget gates solves it in most trials; LSTM without forget "
                      "gates fails (its cell states grow without bound)",
         trial_options={"window": 100, "test_length": 1000},
         paper_options={"test_length": 100_000}),
    Task("adding", "1997, exp. 4",
         "adding problem: 0.5 + (X1 + X2) / 4 of two marked values, due at the end; "
         "T = 100 (quick: T = 30)",
         _config("adding", 2000,
                 {"hidden_size": 16, **LONG_LAG_INIT, "output": "regression",
                  "regression": {"per_step": False, "size": 1, "tolerance": 0.04}},
                 {"batch_size": 32, "optimizer": {"name": "adam", "lr": 0.01}},
                 "within_tolerance"),
         "window", default_budget=40_000, paper_budget=500_000,
         paper_result="LSTM 100 % solved, after about 74,000 sequences (T = 100)",
         trial_options={"generate": partial(generate_adding_examples, min_steps=30),
                        "threshold": 0.01, "tolerance": 0.04},
         paper_options={"generate": generate_adding_examples}),
    Task("temporal-order", "1997, exp. 6a",
         "classify by the order (XX, XY, YX, YY) of 2 marked symbols at steps 10–20 and 50–60 "
         "of 100–110 (quick: all halved)",
         _config("temporal-order", 2000,
                 {"hidden_size": 8, **LONG_LAG_INIT, "embedding": {"dim": 8},
                  "output": "last_softmax", "sequence": {"pool": "last"}},
                 {"batch_size": 32, "optimizer": {"name": "adam", "lr": 0.01}}, "accuracy"),
         "window", default_budget=20_000, paper_budget=500_000,
         paper_result="LSTM 100 % solved, after 31,390 sequences on average",
         trial_options={"generate": partial(generate_temporal_order, windows=((5, 10), (25, 30)),
                                            length=(50, 55)),
                        "threshold": 0.1},
         paper_options={"generate": generate_temporal_order}),
    Task("temporal-order-3", "1997, exp. 6b",
         "as 6a with 3 marked symbols (steps 10–20, 33–43, 66–76), 8 classes (quick: halved)",
         _config("temporal-order-3", 2000,
                 {"hidden_size": 12, **LONG_LAG_INIT, "embedding": {"dim": 8},
                  "output": "last_softmax", "sequence": {"pool": "last"}},
                 {"batch_size": 32, "optimizer": {"name": "adam", "lr": 0.01}}, "accuracy"),
         "window", default_budget=30_000, paper_budget=1_000_000,
         paper_result="LSTM 100 % solved, after 571,100 sequences on average",
         trial_options={"generate": partial(generate_temporal_order,
                                            windows=((5, 10), (16, 21), (33, 38)),
                                            length=(50, 55), name="temporal-order-3"),
                        "threshold": 0.1},
         paper_options={"generate": generate_temporal_order_3}),
    Task("parity-sequence", "not in the papers",
         "parity of a whole bit string, one label at the end; 5–30 bits (quick: 2–10)",
         _config("parity-sequence", 2000,
                 {"hidden_size": 8, "embedding": {"dim": 4}, "output": "last_softmax",
                  "sequence": {"pool": "last"}},
                 {"batch_size": 32, "optimizer": {"name": "adam", "lr": 0.01}}, "accuracy"),
         "window", default_budget=40_000, paper_budget=200_000,
         paper_result="",
         trial_options={"generate": partial(generate_parity_sequence, min_length=2,
                                            max_length=10),
                        "threshold": 0.1},
         paper_options={"generate": generate_parity_sequence}),
)}
