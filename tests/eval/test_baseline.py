import pytest

from lstm_cli.data.types import Example
from lstm_cli.data.vocab import Vocab
from lstm_cli.eval.baseline import MostFrequentTag
from lstm_cli.eval.metrics import seen_unseen_accuracy

TRAIN = [Example(tokens=["the", "run", "run"], labels=["DET", "VERB", "NOUN"]),
         Example(tokens=["a", "run", "the"], labels=["DET", "NOUN", "DET"])]


def test_each_word_gets_its_most_frequent_label_and_unseen_words_the_overall_one():
    baseline = MostFrequentTag(TRAIN)
    assert baseline.predict(["the", "run", "a", "zebra"]) == ["DET", "NOUN", "DET", "DET"]


def test_ties_go_to_the_label_first_in_sorted_order():
    baseline = MostFrequentTag([Example(tokens=["x", "x"], labels=["B", "A"])])
    assert baseline.predict(["x"]) == ["A"]


def test_report_splits_seen_and_unseen_tokens():
    test = [Example(tokens=["the", "run", "zebra", "quickly"],
                    labels=["DET", "NOUN", "DET", "ADV"])]
    report = MostFrequentTag(TRAIN).evaluate(test)
    assert report["token_accuracy"] == pytest.approx(3 / 4)
    assert report["seen_token_accuracy"] == 1.0
    assert report["unseen_token_accuracy"] == 0.5
    assert report["num_unseen_tokens"] == 2


def test_seen_unseen_accuracy_follows_the_vocabulary_normalisation():
    vocab = Vocab.build([["The", "cat"]], lowercase=True)
    vocab.extend(["vectoronly"])                          # known from vectors, not training
    seen = vocab.is_trained
    assert seen("THE") and seen("cat") and not seen("vectoronly") and not seen("dog")
    report = seen_unseen_accuracy([["the", "dog"]], [["D", "N"]], [["D", "V"]], seen)
    assert (report["seen_token_accuracy"], report["unseen_token_accuracy"]) == (1.0, 0.0)


def test_trained_count_survives_the_round_trip():
    vocab = Vocab.build([["a", "b"]])
    vocab.extend(["c"])
    back = Vocab.from_dict(vocab.to_dict())
    assert back.trained == 2 and not back.is_trained("c")
