"""Tokenisers keep Unicode character offsets into the input: text[start:end] == token."""

from __future__ import annotations

import io

import pytest

from lstm_cli.errors import LstmError
from lstm_cli.text.tokenize import (
    RuleTokenizer,
    Token,
    WhitespaceTokenizer,
    iter_sentences,
    words_of,
)
from lstm_cli.text.trained import load_tokenizer

TEXT = ("Show me the latest news from the BBC. Then naïve café—über 🙂 stuff!\r\n"
        "\r\n"
        "  Second   paragraph, with\ttabs.\r\nAnd a line.\n")


def check_offsets(text: str, sentences) -> None:
    for sentence in sentences:
        for token in sentence:
            assert text[token.start:token.end] == token.text
            for word in words_of([token]):
                assert text[word.start:word.end] == word.text


def test_whitespace_is_one_sentence_per_line_with_offsets():
    sentences = WhitespaceTokenizer().split(TEXT)
    check_offsets(TEXT, sentences)
    assert [len(s) for s in sentences] == [13, 4, 3]
    assert sentences[0][-2].text == "🙂" and sentences[0][-1].text == "stuff!"
    assert sentences[1][0].start == TEXT.index("Second")


def test_rule_splits_punctuation_and_sentences_with_offsets():
    sentences = RuleTokenizer().split(TEXT)
    check_offsets(TEXT, sentences)
    texts = [[token.text for token in sentence] for sentence in sentences]
    assert texts[0][-2:] == ["BBC", "."]
    assert texts[1][:2] == ["Then", "naïve"]
    assert ["Second", "paragraph", ",", "with", "tabs", "."] in texts


@pytest.mark.parametrize("name", ["whitespace", "rule"])
def test_streaming_gives_the_offsets_of_the_whole_input(name):
    tokenizer = load_tokenizer(name)
    streamed = list(iter_sentences(io.StringIO(TEXT, newline=""), tokenizer))
    check_offsets(TEXT, [sentence for sentence, _, _ in streamed])
    for sentence, block, start in streamed:
        assert all(block[t.start - start:t.end - start] == t.text for t in sentence)
    assert [s for s, _, _ in streamed] == tokenizer.split(TEXT)


def test_words_of_a_multiword_token():
    token = Token("don't", 10, 15, ((10, 12), (12, 15)))
    assert [(w.text, w.start, w.end) for w in words_of([token])] == \
        [("do", 10, 12), ("n't", 12, 15)]


def test_an_unknown_tokenizer_is_an_error(tmp_path):
    with pytest.raises(LstmError, match="unknown tokenizer"):
        load_tokenizer(str(tmp_path / "nowhere"))
