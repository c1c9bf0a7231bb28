"""Scoring from raw text (the CoNLL 2018 shared task's rules) on hand-made cases."""

from __future__ import annotations

import pytest

from lstm_cli.eval.raw_text import (
    Word,
    align_words,
    error_summary,
    evaluate_raw_text,
    gold_segmentation,
    score_segmentation,
    system_segmentation,
    word_errors,
)
from lstm_cli.text.conllu_text import read_conllu_text
from lstm_cli.text.tokenize import RuleTokenizer, Token, WhitespaceTokenizer
from tests.text.conllu_samples import SAMPLE_TEXT, write_sample


def tokens_at(text: str, *pieces: str, start: int = 0) -> list[Token]:
    """Tokens for `pieces` found in order in `text` from `start` ("do|n't": a multiword token
    with words `do` and `n't`)."""
    tokens = []
    for piece in pieces:
        surface = piece.replace("|", "")
        begin = text.index(surface, start)
        start = begin + len(surface)
        words, position = [], begin
        for part in piece.split("|") if "|" in piece else ():
            words.append((position, position + len(part)))
            position += len(part)
        tokens.append(Token(surface, begin, start, tuple(words)))
    return tokens


@pytest.fixture
def gold(tmp_path):
    document = read_conllu_text(write_sample(tmp_path / "gold.conllu"))
    return document, gold_segmentation(document)


def score(gold, sentences, labels=None):
    document, segmentation = gold
    return score_segmentation(segmentation, system_segmentation(document.text, sentences, labels),
                              labelled=labels is not None)


def perfect_sentences(text):
    return [tokens_at(text, "I", "do|n't", "know", "."),
            tokens_at(text, "Go", "home", "!", start=14),
            tokens_at(text, "Café", "naïve", ",", "yes", ".", start=24)]


def test_the_gold_segmentation_scores_100(gold):
    report = score(gold, perfect_sentences(SAMPLE_TEXT),
                   [["PRON", "AUX", "PART", "VERB", "PUNCT"], ["VERB", "ADV", "PUNCT"],
                    ["NOUN", "ADJ", "PUNCT", "INTJ", "PUNCT"]])
    assert {name: report[name]["f1"] for name in report} == \
        {"tokens": 1.0, "sentences": 1.0, "words": 1.0, "label": 1.0}


def test_a_split_token(gold):
    """`home!` fine, but `Café` cut into `Ca` `fé`: 13 system tokens, 11 gold, 10 correct."""
    sentences = perfect_sentences(SAMPLE_TEXT)
    sentences[2] = tokens_at(SAMPLE_TEXT, "Ca", "fé", "naïve", ",", "yes", ".", start=24)
    report = score(gold, sentences)
    assert (report["tokens"]["correct"], report["tokens"]["system"],
            report["tokens"]["gold"]) == (11, 13, 12)
    assert report["words"]["correct"] == 12 and report["sentences"]["f1"] == 1.0


def test_a_merged_token(gold):
    """`home!` as one token: gold's `home` and `!` both missed."""
    sentences = perfect_sentences(SAMPLE_TEXT)
    sentences[1] = tokens_at(SAMPLE_TEXT, "Go", "home!", start=14)
    report = score(gold, sentences)
    assert (report["tokens"]["correct"], report["tokens"]["system"]) == (10, 11)
    assert report["tokens"]["recall"] == pytest.approx(10 / 12)


def test_a_missing_sentence_boundary(gold):
    """The first two sentences as one: tokens are all right, one sentence of three is."""
    first, second, third = perfect_sentences(SAMPLE_TEXT)
    report = score(gold, [first + second, third])
    assert report["tokens"]["f1"] == 1.0
    assert (report["sentences"]["correct"], report["sentences"]["system"],
            report["sentences"]["gold"]) == (1, 2, 3)


def test_an_unsplit_multiword_token_aligns_none_of_its_words(gold):
    """`don't` kept as one word: gold's `do` `n't` and the system's `don't` share no form, so
    no word there aligns; the token itself is right."""
    sentences = perfect_sentences(SAMPLE_TEXT)
    sentences[0] = tokens_at(SAMPLE_TEXT, "I", "don't", "know", ".")
    labels = [["PRON", "AUX", "VERB", "PUNCT"], ["VERB", "ADV", "PUNCT"],
              ["NOUN", "ADJ", "PUNCT", "INTJ", "PUNCT"]]
    report = score(gold, sentences, labels)
    assert report["tokens"]["f1"] == 1.0
    assert (report["words"]["correct"], report["words"]["system"],
            report["words"]["gold"]) == (11, 12, 13)
    assert report["label"]["correct"] == 11
    assert report["label"]["aligned_accuracy"] == 1.0


def test_words_in_a_multiword_stretch_are_aligned_by_their_forms():
    """Gold `des` = `de` + `les` against system `de` `les` as a multiword token cut otherwise
    and a plain word before it: the LCS of lowercased forms decides."""
    gold = [Word(0, 2, "Il"), Word(2, 5, "de", multiword=True),
            Word(2, 5, "les", multiword=True), Word(5, 8, "eux")]
    system = [Word(0, 2, "IL"), Word(2, 8, "de", multiword=True),
              Word(2, 8, "les", multiword=True), Word(2, 8, "eux", multiword=True)]
    assert align_words(gold, system) == [(0, 0), (1, 1), (2, 2), (3, 3)]
    assert align_words(gold, system[:1] + [Word(2, 8, "dx", multiword=True)]) == [(0, 0)]


def test_texts_that_differ_are_refused(gold):
    document, segmentation = gold
    shorter = system_segmentation(document.text, perfect_sentences(SAMPLE_TEXT)[:2])
    with pytest.raises(ValueError, match="same text"):
        score_segmentation(segmentation, shorter)


def test_evaluate_a_tokenizer_on_a_conllu_file(tmp_path):
    path = write_sample(tmp_path / "gold.conllu")
    whitespace = evaluate_raw_text(path, WhitespaceTokenizer())
    rule = evaluate_raw_text(path, RuleTokenizer())
    assert whitespace["sentences"]["system"] == 2             # one per paragraph line
    assert rule["sentences"]["f1"] == 1.0 and rule["words"]["f1"] == 1.0
    assert rule["tokens"]["f1"] < 1.0               # syntok splits don't into do n't: 2 tokens


def test_word_errors_name_each_stretch_its_cause(gold):
    """`don't` unsplit, `home!` merged and `Café` cut into `Ca` `fé` with a sentence end
    between them: one stretch each, with both sides' words, counts and cause."""
    document, segmentation = gold
    first = tokens_at(SAMPLE_TEXT, "I", "don't", "know", ".")
    second = tokens_at(SAMPLE_TEXT, "Go", "home!", start=14)
    third = tokens_at(SAMPLE_TEXT, "Ca", "fé", "naïve", ",", "yes", ".", start=24)
    system = system_segmentation(document.text, [first, second, third[:1], third[1:]])
    errors = word_errors(document.text, segmentation, system)
    assert [(SAMPLE_TEXT[e.start:e.end], e.gold, e.system, e.missed, e.spurious, e.cause)
            for e in errors] == [
        ("don't", ("do", "n't"), ("don't",), 2, 1, "multiword token"),
        ("home!", ("home", "!"), ("home!",), 2, 1, "other"),
        ("Café", ("Café",), ("Ca", "fé"), 1, 2, "sentence boundary")]
    summary = error_summary(errors)
    assert summary["by_cause"]["other"] == {"stretches": 1, "missed": 2, "spurious": 1}
    assert list(summary["by_cause"]) == ["multiword token", "sentence boundary", "other"]
    assert summary["top"][0] == {"gold": "do n't", "system": "don't",
                                 "cause": "multiword token", "count": 1}
