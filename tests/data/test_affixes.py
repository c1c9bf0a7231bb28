import json

import numpy as np
import pytest

from lstm_cli.data.affixes import affix_names, affix_value, is_affix_name, word_shape
from lstm_cli.data.encoding import encode_example
from lstm_cli.data.types import Example
from lstm_cli.data.vocab import Vocabs


@pytest.mark.parametrize(("token", "shape"), [
    ("McDonald's", "XxXx'x"), ("1,234.5", "d,d.d"), ("USA", "X"), ("e-mail", "x-x"),
    ("Über", "Xx"), ("", ""), ("...", "."),
])
def test_word_shape(token, shape):
    assert word_shape(token) == shape


def test_prefixes_and_suffixes_are_lowercased_and_padded():
    assert affix_value("prefix2", "Running") == "ru"
    assert affix_value("suffix3", "Running") == "ing"
    assert affix_value("suffix3", "Go") == "_go"
    assert affix_value("prefix3", "a") == "a__"
    assert affix_value("shape", "Running") == "Xx"


def test_names():
    assert affix_names([1, 2], [3], shape=True) == ["prefix1", "prefix2", "suffix3", "shape"]
    assert all(map(is_affix_name, ["prefix1", "suffix9", "shape"]))
    assert not any(map(is_affix_name, ["prefix0", "suffix10", "pos", "shapes"]))
    with pytest.raises(ValueError):
        affix_value("pos", "x")


def test_vocabs_encode_affixes_of_unseen_words_and_round_trip():
    train = [Example(tokens=["walking", "Quickly"], labels=["V", "ADV"]),
             Example(tokens=["talked"], labels=["V"])]
    vocabs = Vocabs.build(train, affixes=["suffix2", "shape"])
    assert set(vocabs.affixes) == {"suffix2", "shape"}
    unseen = Example(tokens=["Jumping", "slowly", "42"], labels=["V", "ADV", "V"])
    encoded = encode_example(unseen, vocabs)
    suffix = vocabs.affixes["suffix2"]
    np.testing.assert_array_equal(encoded.feature_ids["suffix2"],
                                  [suffix.ids["ng"], suffix.ids["ly"], suffix.unk_id])
    np.testing.assert_array_equal(encoded.token_ids, [1, 1, 1])          # all <unk> words
    back = Vocabs.from_dict(json.loads(json.dumps(vocabs.to_dict())))
    again = encode_example(unseen, back)
    for name in ("suffix2", "shape"):
        np.testing.assert_array_equal(again.feature_ids[name], encoded.feature_ids[name])


def test_affix_min_count_sends_rare_values_to_unk():
    train = [Example(tokens=["walking", "talking", "ran"], labels=["V", "V", "V"])]
    vocabs = Vocabs.build(train, affixes=["suffix3"], affix_min_count=2)
    assert vocabs.affixes["suffix3"].words[2:] == ["ing"]


def test_older_vocab_dicts_without_affixes_still_load():
    vocabs = Vocabs.build([Example(tokens=["a"], labels=["X"])])
    data = vocabs.to_dict()
    del data["affixes"]
    assert Vocabs.from_dict(data).affixes == {}


def test_unknown_affix_name_is_refused():
    with pytest.raises(ValueError, match="suffix0"):
        Vocabs.build([Example(tokens=["a"], labels=["X"])], affixes=["suffix0"])


def test_long_words_reach_the_character_encoder_as_their_two_ends():
    vocabs = Vocabs.build([Example(tokens=["abcdefgh"], labels=["X"])], chars=True,
                          max_word_chars=5)
    chars = vocabs.chars.words
    decoded = [chars[i] for i in vocabs.encode_chars("abcdefgh")]
    assert decoded == ["<w>", "a", "b", "c", "g", "h", "</w>"]
    assert [chars[i] for i in vocabs.encode_chars("abcde")][1:-1] == list("abcde")
    back = Vocabs.from_dict(json.loads(json.dumps(vocabs.to_dict())))
    np.testing.assert_array_equal(back.encode_chars("abcdefgh"), vocabs.encode_chars("abcdefgh"))
