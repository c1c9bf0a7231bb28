"""Tokenisers backed by a trained model, and loading any tokeniser by name or path.

`TrainedTokenizer` runs a model trained with `lstm train` on `data.format: conllu_chars` data
(text/chars.py: the character labels and their decoding) and turns its labels back into
sentences of tokens; `load_tokenizer` gives a built-in tokeniser (text/tokenize.py) or loads a
trained one.
"""

from __future__ import annotations

from pathlib import Path

from lstm_cli.data.types import Example
from lstm_cli.errors import LstmError
from lstm_cli.inference import predict
from lstm_cli.model import FORMAT_DATA, load_model
from lstm_cli.text.chars import LEXICON_SHARE, apply_lexicon, char_inputs, decode, windows
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
    """A tokeniser trained with `lstm train` on `data.format: conllu_chars` data. Its
    checkpoint's chunk lexicon (`chars.chunk_lexicon`, absent from tokenisers trained before
    it) corrects the model's segmentations the training text does not give (`lexicon_share`:
    `chars.apply_lexicon`'s `min_share`; 0 turns it off)."""

    by_line = False

    def __init__(self, model, name: str, *, batch_size: int = 32,
                 lexicon_share: float = LEXICON_SHARE) -> None:
        self.model = model
        self.name = name
        self.batch_size = batch_size
        self.lexicon = model.meta.get(FORMAT_DATA, {}).get("chunk_lexicon")
        self.lexicon_share = lexicon_share

    @classmethod
    def load(cls, path: str | Path) -> TrainedTokenizer:
        model = load_model(path)
        if model.config.data.format != "conllu_chars":
            raise LstmError(f"{path} is not a tokeniser (its data.format is "
                            f"{model.config.data.format}, a tokeniser's is conllu_chars)")
        return cls(model, str(path))

    def split(self, text: str) -> list[Sentence]:
        """Sentences of tokens: the model's labels (`predict_labels`), corrected by the
        lexicon, decoded."""
        labels = self.predict_labels(text)
        if self.lexicon and self.lexicon_share > 0:
            labels = apply_lexicon(text, labels, self.lexicon, self.lexicon_share)
        return decode(text, labels)

    def predict_labels(self, text: str) -> list[str]:
        """One label per character of `text`. The model labels each window; a character takes
        its label from the window in which it has most context on its nearer side (a
        paragraph's edge counts as full context), and a paragraph's last character ends a
        sentence."""
        spans = windows(text)
        examples = [Example(tokens=char_inputs(text[start:end])) for start, end, _, _ in spans]
        labels = ["O"] * len(text)
        best = [-1] * len(text)
        for (start, end, first, stop), prediction in zip(
                spans, predict(self.model, examples, batch_size=self.batch_size), strict=True):
            for position, label in enumerate(prediction.labels, start=start):
                left = len(text) if start == first else position - start
                right = len(text) if end == stop else end - 1 - position
                if min(left, right) > best[position]:
                    best[position], labels[position] = min(left, right), label
            if end == stop:
                labels[end - 1] = "S"
        return labels
