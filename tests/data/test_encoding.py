import numpy as np
import pytest

from lstm_cli.data.encoding import WordTypeCache, encode_example, encode_examples
from lstm_cli.data.types import Example
from lstm_cli.data.vocab import Vocabs
from lstm_cli.errors import DataError

TRAIN = [Example(["a", "b"], ["X", "Y"], {"pos": ["N", "V"]}, source="train:1")]


def test_encodes_tokens_features_and_labels():
    (encoded,) = encode_examples(TRAIN, Vocabs.build(TRAIN))
    np.testing.assert_array_equal(encoded.token_ids, [2, 3])
    np.testing.assert_array_equal(encoded.feature_ids["pos"], [2, 3])
    np.testing.assert_array_equal(encoded.label_ids, [0, 1])
    assert encoded.frames is None and encoded.target_ids is None and len(encoded) == 2


def test_lists_all_unseen_labels_and_names_the_first_sequence():
    dev = [Example(["a"], ["X"], {"pos": ["N"]}, source="dev:1"),
           Example(["a"], ["Q"], {"pos": ["N"]}, source="dev:3"),
           Example(["b"], ["R"], {"pos": ["N"]}, source="dev:5")]
    with pytest.raises(DataError, match="never seen: Q, R") as error:
        encode_examples(dev, Vocabs.build(TRAIN))
    assert error.value.path == "dev:3"


def test_features_must_match_training():
    with pytest.raises(DataError, match="features pos of the training data, found"):
        encode_examples([Example(["a"], ["X"], source="dev:1")], Vocabs.build(TRAIN))


def test_encoding_by_word_type_gives_the_per_token_ids():
    train = [Example(tokens=["The", "cat", "sat", "on", "the", "mat"], labels=list("DNVPDN")),
             Example(tokens=["Cats", "sat", "2,000", "times"], labels=list("NVMN"))]
    vocabs = Vocabs.build(train, chars=True, affixes=["prefix1", "suffix3", "shape"],
                          max_word_chars=4)
    cache = WordTypeCache(vocabs, max_types=5)          # small: it is cleared on the way
    for example in [*train, Example(tokens=["unseen", "The", "xyzzy", "cat", "the", "cat"])] * 2:
        plain = encode_example(example, vocabs)
        cached = encode_example(example, vocabs, cache=cache)
        np.testing.assert_array_equal(cached.token_ids, plain.token_ids)
        assert cached.feature_ids.keys() == plain.feature_ids.keys()
        for name, ids in plain.feature_ids.items():
            np.testing.assert_array_equal(cached.feature_ids[name], ids, err_msg=name)
        assert len(cached.char_ids) == len(plain.char_ids)
        for got, expected in zip(cached.char_ids, plain.char_ids, strict=True):
            np.testing.assert_array_equal(got, expected)
        assert len(cache.ids) <= 5 + len(example.tokens)
