"""A tokeniser trained by `lstm train` from CoNLL-U (data.format: conllu_chars): offsets that
round-trip, and its use by `lstm predict --tokenizer` and `lstm eval --raw-text-from`."""

from __future__ import annotations

from lstm_cli.checkpoint import load_checkpoint
from lstm_cli.model import FORMAT_DATA, load_model
from lstm_cli.text.chars import LABELS, LEXICONS, decode
from lstm_cli.text.tokenize import words_of
from lstm_cli.text.trained import TrainedTokenizer, load_tokenizer

TEXT = "Café naïve, I don't know.\r\nGo home!\r\n\r\n🙂 Über-cool — yes.\n"


def test_a_trained_tokenizer_keeps_offsets_that_round_trip(tokenizer_run):
    tokenizer = load_tokenizer(str(tokenizer_run["run"]))
    assert isinstance(tokenizer, TrainedTokenizer)
    sentences = tokenizer.split(TEXT)
    assert sentences and all(sentences)
    for sentence in sentences:
        for token in [*sentence, *words_of(sentence)]:
            assert TEXT[token.start:token.end] == token.text
            assert token.text and not any(char.isspace() for char in token.text)
    # every non-space character is in exactly one token
    covered = sorted(i for s in sentences for t in s for i in range(t.start, t.end))
    assert covered == [i for i, char in enumerate(TEXT) if not char.isspace()]


def test_a_tokenizer_checkpoint_keeps_the_lexicons_of_its_training_text(tokenizer_run):
    tokenizer = load_tokenizer(str(tokenizer_run["run"]))
    kept = tokenizer.model.meta[FORMAT_DATA]
    assert set(kept) == set(LEXICONS)
    assert kept["chunk_lexicon"]["don't"] == {"IWIIT": 8}    # the sample, 8 copies
    assert [lexicon for lexicon, _, _ in tokenizer.lexicons] == \
        [kept[name] for name in LEXICONS]
    last = load_checkpoint(tokenizer_run["run"] / "checkpoints" / "last")
    assert last.meta[FORMAT_DATA] == kept


def test_a_tokenizer_without_lexicons_splits_by_its_model_alone(tokenizer_run):
    model = load_model(tokenizer_run["run"])
    labels, log_probs = TrainedTokenizer(model, "t").predict_labels(TEXT)
    assert log_probs.shape == (len(TEXT), len(LABELS))
    model.meta.pop(FORMAT_DATA)                       # as a tokeniser trained before them
    bare = TrainedTokenizer(model, "t")
    assert bare.lexicons == []
    assert bare.split(TEXT) == decode(TEXT, labels)
    assert TrainedTokenizer(load_model(tokenizer_run["run"]), "t",
                            lexicons=False).split(TEXT) == decode(TEXT, labels)
