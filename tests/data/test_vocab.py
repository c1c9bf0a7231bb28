import json

import numpy as np
import pytest

from lstm_cli.data.normalize import lowercase, normalize_digits, normalizer
from lstm_cli.data.types import Example
from lstm_cli.data.vocab import IGNORE_LABEL, LabelVocab, Vocab, Vocabs
from lstm_cli.errors import DataError

SEQUENCES = [["b", "a", "c"], ["c", "b", "d"], ["c"]]


def test_ids_pad_unk_then_count_descending_then_alphabetical():
    vocab = Vocab.build(SEQUENCES)
    assert vocab.words == ["<pad>", "<unk>", "c", "b", "a", "d"]
    assert Vocab.build(reversed(SEQUENCES)).words == vocab.words


def test_min_count_and_unknown_tokens():
    vocab = Vocab.build(SEQUENCES, min_count=2)
    assert vocab.words == ["<pad>", "<unk>", "c", "b"]
    np.testing.assert_array_equal(vocab.encode(["c", "a", "zzz"]), [2, 1, 1])
    assert vocab.encode(["c"]).dtype == np.int64


def test_extend_appends_only_new_words_in_order():
    vocab = Vocab.build(SEQUENCES)
    assert vocab.extend(["z", "a", "y", "z"]) == 2
    assert vocab.words[-2:] == ["z", "y"]


def test_to_dict_round_trip_through_json():
    vocab = Vocab.build([["The", "1990s"]], lowercase=True, digits=True)
    back = Vocab.from_dict(json.loads(json.dumps(vocab.to_dict())))
    assert back.words == vocab.words == ["<pad>", "<unk>", "0000s", "the"]
    np.testing.assert_array_equal(back.encode(["THE", "1870s"]), vocab.encode(["the", "0000s"]))


def test_normalisation_helpers():
    assert lowercase("NaSA") == "nasa"
    assert normalize_digits("A-380 in 1999") == "A-000 in 0000"
    assert normalizer()("Ab1") == "Ab1"
    assert normalizer(lowercase=True, digits=True)("Ab1") == "ab0"


def test_label_vocab_is_sorted_and_ignores_the_ignore_label():
    labels = LabelVocab.build([["O", "B-X"], ["I-X", "O", IGNORE_LABEL]])
    assert labels.labels == ["B-X", "I-X", "O"]
    np.testing.assert_array_equal(labels.encode(["O", IGNORE_LABEL, "B-X"]), [2, -1, 0])
    assert labels.decode([1, 2]) == ["I-X", "O"]
    assert LabelVocab.from_dict(labels.to_dict()).labels == labels.labels


def test_label_vocab_names_every_unseen_label():
    labels = LabelVocab(["O", "B-X"])
    with pytest.raises(DataError, match="found 2 never seen: B-Y, I-Z") as error:
        labels.encode(["O", "I-Z", "B-Y", "I-Z"], source="f.txt:3")
    assert error.value.path == "f.txt:3"


def test_vocabs_build_and_round_trip():
    examples = [Example(["a", "b"], ["X", "Y"], {"pos": ["N", "V"]}),
                Example(["a"], None, {"pos": ["N"]}, target=["Z"])]
    vocabs = Vocabs.build(examples)
    assert vocabs.labels.labels == ["X", "Y", "Z"]
    assert vocabs.features["pos"].words[2:] == ["N", "V"]
    back = Vocabs.from_dict(json.loads(json.dumps(vocabs.to_dict())))
    assert back.to_dict() == vocabs.to_dict()
