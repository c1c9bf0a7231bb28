"""lstm_cli.recipes from Python: what `inspect_data` finds and what `recipe_for` chooses."""

from __future__ import annotations

from lstm_cli.recipes import DataProfile, SplitProfile, inspect_data, recipe_for
from tests.cli.test_init_cmd import _write_conll_with_pos


def test_inspect_data_describes_sizes_scheme_and_script(tmp_path):
    train = _write_conll_with_pos(tmp_path / "train.txt", 40, 1)
    dev = _write_conll_with_pos(tmp_path / "dev.txt", 12, 2)
    profile = inspect_data(train, dev)
    assert profile.format == "conll" and profile.columns == 3
    assert profile.scheme == "IOB2" and profile.alphabetic and not profile.cased
    assert profile.splits["train"].sentences == 40
    assert profile.features == {"column1": (1, 2)}


def test_epochs_scale_with_the_data_and_a_small_budget_cuts_them():
    assert recipe_for(_profile(50_000)).config["train"]["epochs"] == 32
    assert recipe_for(_profile(5_000)).config["train"]["epochs"] == 60
    big = _profile(tokens=2_000_000)
    assert recipe_for(big, budget_minutes=120).config["train"]["epochs"] == 12
    assert recipe_for(big, budget_minutes=10).config["train"]["epochs"] == 3


def test_equal_dev_metrics_are_decided_by_dev_loss():
    # a small dev set saturates the metric (a few tokens decide it): the first of equal
    # epochs is not the best of them
    stopping = recipe_for(_profile(5_000)).config["train"]["early_stopping"]
    assert stopping["tie_metric"] == "loss"


def _profile(tokens: int) -> DataProfile:
    return DataProfile(format="conllu", labels={"NOUN": tokens}, scheme=None,
                       splits={"train": SplitProfile("t.conllu", tokens // 16, tokens),
                               "dev": SplitProfile("d.conllu", 100, tokens // 10)})


def test_chunk_labels_that_break_the_scheme_get_a_crf_without_constraints(tmp_path):
    # IOB1 written with a B- for every type somewhere: the label set reads as IOB2, but most
    # chunks start with I- after O, which IOB2's constraints would forbid.
    sentences = ["the O\nparis I-LOC\n", "bbc I-ORG\nnews O\n", "a I-LOC\nb B-LOC\n",
                 "c I-ORG\nd B-ORG\n"]
    train = tmp_path / "iob1.txt"
    train.write_text("\n".join(sentences) + "\n")
    profile = inspect_data(train)
    assert profile.scheme == "IOB2" and profile.invalid_sequences == 4
    recipe = recipe_for(profile)
    assert recipe.config["model"]["crf"] == {"constraints": False}
    assert "break IOB2's rules" in recipe.to_yaml()


def test_a_value_ending_in_three_dots_is_written_whole():
    import yaml

    from lstm_cli.recipes import _yaml_lines

    lines = _yaml_lines({"data": {"train": "corpus/train...", "dev": "a b"}}, "", 0, {})
    assert yaml.safe_load("\n".join(lines)) == {"data": {"train": "corpus/train...", "dev": "a b"}}
