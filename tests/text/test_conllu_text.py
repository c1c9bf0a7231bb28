"""A CoNLL-U file as raw text with gold offsets, and the tokeniser's character labels."""

from __future__ import annotations

import pytest

from lstm_cli.errors import DataError
from lstm_cli.text.chars import (
    apply_lexicon,
    char_labels,
    chunk_lexicon,
    decode,
    iter_char_examples,
    paragraphs,
    pieces,
    windows,
)
from lstm_cli.text.conllu_text import read_conllu_text

from .conllu_samples import SAMPLE_TEXT, word, write_sample


def test_the_raw_text_joins_sentences_and_paragraphs_and_holds_every_token(tmp_path):
    document = read_conllu_text(write_sample(tmp_path / "a.conllu"))
    assert document.text == SAMPLE_TEXT
    surfaces = [[document.text[t.start:t.end] for t in s.tokens] for s in document.sentences]
    assert surfaces == [["I", "don't", "know", "."], ["Go", "home", "!"],
                        ["Café", "naïve", ",", "yes", "."]]
    assert [w.form for w in document.sentences[0].tokens[1].words] == ["do", "n't"]
    assert paragraphs(document.text) == [(0, 22), (24, len(SAMPLE_TEXT))]


def test_character_labels_mark_token_word_and_sentence_ends(tmp_path):
    document = read_conllu_text(write_sample(tmp_path / "a.conllu"))
    labels = char_labels(document)
    assert "".join(labels[:13]) == "TOIWIITOIIITS"      # I don't know.
    # the gold labels decode back to the gold tokens, words and sentences
    sentences = decode(document.text, labels)
    assert [[(t.start, t.end) for t in s] for s in sentences] == \
        [[(t.start, t.end) for t in s.tokens] for s in document.sentences]
    assert sentences[0][1].words == ((2, 4), (4, 7))


def test_pieces_cut_paragraphs_at_whitespace():
    text = "aa bb cc\n\n dd ee"
    assert pieces(text, max_chars=5) == [(0, 5, False), (6, 8, True), (11, 16, True)]
    assert all(not text[start].isspace() for start, _, _ in pieces(text, max_chars=4))


def test_the_char_reader_gives_one_example_per_piece(tmp_path):
    examples = list(iter_char_examples(write_sample(tmp_path / "a.conllu")))
    assert ["".join(e.tokens) for e in examples] == ["I don't know. Go home!", "Café naïve, yes."]
    assert all(len(e.tokens) == len(e.labels) for e in examples)


def test_a_text_line_that_does_not_hold_the_tokens_is_an_error(tmp_path):
    path = tmp_path / "bad.conllu"
    path.write_text("# text = Hello there\n" + word(1, "Hello") + "\n" + word(2, "world")
                    + "\n\n", encoding="utf-8")
    with pytest.raises(DataError, match="world"):
        read_conllu_text(path)


def test_windows_overlap_and_cover_every_paragraph():
    text = "aa bb cc dd ee ff gg hh ii\n\n jj kk"
    spans = windows(text, max_chars=8)
    assert spans[-1] == (29, 34, 29, 34)
    assert all(end - start <= 8 and not text[start].isspace() for start, end, _, _ in spans)
    covered = {i for start, end, _, _ in spans for i in range(start, end)}
    assert covered == set(range(0, 26)) | set(range(29, 34))     # the two paragraphs
    assert spans[1][0] < spans[0][1]                  # the second window overlaps the first


def test_the_chunk_lexicon_counts_how_training_text_segments_each_chunk(tmp_path):
    document = read_conllu_text(write_sample(tmp_path / "a.conllu", copies=2))
    lexicon = chunk_lexicon(document)
    assert lexicon["don't"] == {"IWIIT": 2}           # do|n't, one token
    assert lexicon["know."] == {"IIITT": 2}           # know .  (the sentence end reads as T)
    assert "I" not in lexicon                         # one character: nothing to segment
    assert chunk_lexicon(document, min_count=3) == {}


def test_the_lexicon_replaces_segmentations_training_never_gives(tmp_path):
    lexicon = {"don't": {"IWIIT": 9, "IIIIT": 1}, "home!": {"IIITT": 5}}
    text = "I don't go home!\n"
    #         I  don't  go   home!
    labels = list("TO" "IIIWT" "OIT" "OIITIS" "O")
    fixed = apply_lexicon(text, labels, lexicon, min_share=0.5)
    assert "".join(fixed[2:7]) == "IWIIT"             # do'n|t was never seen: do|n't
    assert "".join(fixed[11:16]) == "IIITS"           # hom|e! -> home !, sentence end kept
    assert fixed[:2] + fixed[7:11] == labels[:2] + labels[7:11]
    # a segmentation training gives often enough is kept
    labels[2:7] = "IIIIT"
    assert apply_lexicon(text, labels, lexicon, min_share=0.1)[2:7] == list("IIIIT")
    assert apply_lexicon(text, labels, lexicon, min_share=0.5)[2:7] == list("IWIIT")


def test_the_lexicon_matches_runs_of_predicted_tokens_inside_a_chunk():
    lexicon = {"e-mail": {"IIIIIT": 4}}
    text = "(e-mail)"
    labels = list("T" "ITIIIT" "S")                   # ( e- mail )
    fixed = apply_lexicon(text, labels, lexicon, min_share=0.5)
    assert "".join(fixed) == "TIIIIITS"               # ( e-mail )
    sentences = decode(text, fixed)
    assert [token.text for token in sentences[0]] == ["(", "e-mail", ")"]
