"""The most-frequent-tag baseline: the floor every tagger's accuracy should be read against.

Each word gets the label it carried most often in training (ties: the label first in sorted
order); a word never seen in training gets the most frequent label overall. The report is
`metrics.evaluate_labels`'s, plus the token accuracy on words seen and unseen in training, the
split where taggers differ most.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from lstm_cli.data.types import Example
from lstm_cli.eval.metrics import evaluate_labels, seen_unseen_accuracy


class MostFrequentTag:
    """word -> its most frequent training label; `default` for unseen words."""

    def __init__(self, train: Sequence[Example]) -> None:
        counts: dict[str, Counter] = defaultdict(Counter)
        overall: Counter = Counter()
        for example in train:
            for token, label in zip(example.tokens, example.labels or (), strict=True):
                counts[token][label] += 1
                overall[label] += 1
        if not overall:
            raise ValueError("the training data has no labelled tokens")
        self.labels = sorted(overall)
        self.default = _most_common(overall)
        self.best = {token: _most_common(labels) for token, labels in counts.items()}

    def predict(self, tokens: Sequence[str]) -> list[str]:
        return [self.best.get(token, self.default) for token in tokens]

    def evaluate(self, examples: Sequence[Example]) -> dict:
        """The evaluation report of the baseline on labelled `examples`, with
        `seen_token_accuracy` / `unseen_token_accuracy` and `num_unseen_tokens`."""
        gold = [example.labels or [] for example in examples]
        pred = [self.predict(example.tokens) for example in examples]
        report = evaluate_labels(gold, pred, self.labels)
        report.update(seen_unseen_accuracy([e.tokens for e in examples], gold, pred,
                                           self.best.__contains__))
        return report


def _most_common(counts: Counter) -> str:
    return min(counts, key=lambda label: (-counts[label], label))
