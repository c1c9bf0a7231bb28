"""Tokenisers backed by a trained model, and loading any tokeniser by name or path.

`TrainedTokenizer` runs a model trained with `lstm train` on `data.format: conllu_chars` data
(text/chars.py: the character labels and their decoding) and turns its labels back into
sentences of tokens; `load_tokenizer` gives a built-in tokeniser (text/tokenize.py) or loads a
trained one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lstm_cli.data.types import Example
from lstm_cli.errors import LstmError
from lstm_cli.inference import predict
from lstm_cli.model import FORMAT_DATA, load_model
from lstm_cli.text.chars import LABELS, LEXICONS, apply_lexicons, char_inputs, decode, windows
from lstm_cli.text.tokenize import RuleTokenizer, Sentence, Tokenizer, WhitespaceTokenizer


def load_tokenizer(spec: str) -> Tokenizer:
    """`whitespace`, `rule`, or the run or checkpoint directory of a trained tokeniser."""
    if spec == "whitespace":
        return WhitespaceTokenizer()
    if spec == "rule":
        return RuleTokenizer()
    if not Path(spec).exists():
        raise LstmError(f"unknown tokenizer {spec!r}",
                        hint="give whitespace, rule, or the run directory of a tokeniser "
                             "trained with `lstm train` (data.format: conllu_chars)")
    return TrainedTokenizer.load(spec)


class TrainedTokenizer:
    """A tokeniser trained with `lstm train` on `data.format: conllu_chars` data. The lexicons
    of its training text kept in its checkpoint (`chars.LEXICONS`; absent from tokenisers
    trained before them) correct the model's segmentations that training rarely gives
    (`chars.apply_lexicons`); `lexicons=False` turns them off."""

    by_line = False

    def __init__(self, model, name: str, *, batch_size: int = 32,
                 lexicons: bool = True) -> None:
        self.model = model
        self.name = name
        self.batch_size = batch_size
        kept = model.meta.get(FORMAT_DATA, {}) if lexicons else {}
        self.lexicons = [(kept[name], by_shape, min_share)
                         for name, (by_shape, _, min_share) in LEXICONS.items() if name in kept]

    @classmethod
    def load(cls, path: str | Path) -> TrainedTokenizer:
        model = load_model(path)
        if model.config.data.format != "conllu_chars":
            raise LstmError(f"{path} is not a tokeniser (its data.format is "
                            f"{model.config.data.format}, a tokeniser's is conllu_chars)")
        return cls(model, str(path))

    def split(self, text: str) -> list[Sentence]:
        """Sentences of tokens: the model's labels (`predict_labels`), corrected by the
        lexicons, decoded."""
        labels, log_probs = self.predict_labels(text)
        return decode(text, apply_lexicons(text, labels, self.lexicons, log_probs))

    def predict_labels(self, text: str) -> tuple[list[str], np.ndarray]:
        """One label per character of `text`, and the log-probabilities of `chars.LABELS`
        there, `(len(text), len(LABELS))` (0 on characters outside every paragraph). The model
        labels each window; a character takes both from the window in which it has most
        context on its nearer side (a paragraph's edge counts as full context), and a
        paragraph's last character ends a sentence."""
        spans = windows(text)
        examples = [Example(tokens=char_inputs(text[start:end])) for start, end, _, _ in spans]
        labels = ["O"] * len(text)
        log_probs = np.zeros((len(text), len(LABELS)))
        columns = [self.model.labels.index(label) if label in self.model.labels else None
                   for label in LABELS]
        best = [-1] * len(text)
        predictions = predict(self.model, examples, batch_size=self.batch_size, with_probs=True)
        for (start, end, first, stop), prediction in zip(spans, predictions, strict=True):
            with np.errstate(divide="ignore"):
                window_log_probs = np.log(np.stack(
                    [prediction.probs[:, column] if column is not None
                     else np.zeros(len(prediction.probs)) for column in columns], axis=1))
            for offset, label in enumerate(prediction.labels):
                position = start + offset
                left = len(text) if start == first else offset
                right = len(text) if end == stop else end - 1 - position
                if min(left, right) > best[position]:
                    best[position], labels[position] = min(left, right), label
                    log_probs[position] = window_log_probs[offset]
            if end == stop:
                labels[end - 1] = "S"
        return labels, log_probs
