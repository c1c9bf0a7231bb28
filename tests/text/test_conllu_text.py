"""A CoNLL-U file as raw text with gold offsets, and the tokeniser's character labels."""

from __future__ import annotations

import pytest

from lstm_cli.errors import DataError
from lstm_cli.text.chars import (
    apply_lexicons,
    build_lexicon,
    char_labels,
    decode,
    iter_char_examples,
    lexicon_key,
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


def test_the_lexicon_counts_how_training_text_segments_runs_of_tokens(tmp_path):
    document = read_conllu_text(write_sample(tmp_path / "a.conllu", copies=2))
    lexicon = build_lexicon(document)
    assert lexicon["don't"] == {"IWIIT": 2}           # do|n't, one token
    assert lexicon["know."] == {"IIITT": 2}           # know .  (the sentence end reads as T)
    assert lexicon["naïve,"] == {"IIIITT": 2} and lexicon["naïve"] == {"IIIIT": 2}
    assert "I" not in lexicon and "aïve" not in lexicon   # one character; not whole tokens
    assert build_lexicon(document, min_count=3) == {}
    shapes = build_lexicon(document, by_shape=True)
    assert shapes["a."] == {"TT": 4}                  # know. yes.
    assert "a'a" not in shapes                        # do|n't cuts inside a run of letters


def test_a_shape_key_joins_runs_of_letters_and_digits():
    assert lexicon_key("Sector-37", by_shape=True) == ("Aa-9", [1, 6, 7, 9])
    assert lexicon_key("e-mail", by_shape=False) == ("e-mail", [1, 2, 3, 4, 5, 6])


def test_the_lexicon_replaces_segmentations_training_rarely_gives():
    lexicon = {"don't": {"IWIIT": 9, "IIIIT": 1}, "home!": {"IIITT": 5}}
    text = "I don't go home!\n"
    #         I  don't  go   home!
    labels = list("TO" "IIIWT" "OIT" "OIITIS" "O")
    fixed = apply_lexicons(text, labels, [(lexicon, False, 0.5)])
    assert "".join(fixed[2:7]) == "IWIIT"             # don'|t is rare: do|n't
    assert "".join(fixed[11:16]) == "IIITS"           # hom e! -> home !, sentence end kept
    assert fixed[:2] + fixed[7:11] == labels[:2] + labels[7:11]
    # a segmentation training gives often enough is kept
    labels[2:7] = "IIIIT"
    assert apply_lexicons(text, labels, [(lexicon, False, 0.1)])[2:7] == list("IIIIT")
    assert apply_lexicons(text, labels, [(lexicon, False, 0.5)])[2:7] == list("IWIIT")


def test_the_lexicons_match_runs_of_predicted_tokens_inside_a_chunk():
    exact = {"e-mail": {"IIIIIT": 4}}
    shapes = {"(A)": {"TTT": 3}, "a-Aa": {"TTIT": 9, "IIIT": 1}}
    text = "(e-mail) (C) non-Microsoft"
    labels = list("T" "ITIIIT" "S" "O" "IIT" "O" "IIIIIIIIIIIIT")
    fixed = apply_lexicons(text, labels, [(exact, False, 0.5), (shapes, True, 0.5)])
    assert [token.text for sentence in decode(text, fixed) for token in sentence] == \
        ["(", "e-mail", ")", "(", "C", ")", "non", "-", "Microsoft"]
    # the shape lexicon leaves alone what the exact one looked up
    assert fixed[1:7] == list("IIIIIT")
