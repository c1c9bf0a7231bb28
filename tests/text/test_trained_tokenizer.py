"""A tokeniser trained by `lstm train` from CoNLL-U (data.format: conllu_chars): offsets that
round-trip, and its use by `lstm predict --tokenizer` and `lstm eval --raw-text-from`."""

from __future__ import annotations

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
