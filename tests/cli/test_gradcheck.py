"""`lstm gradcheck`: finite differences agree with backprop for each cell and output layer."""

from __future__ import annotations

import json

import pytest

from tests.support import REPO_ROOT


@pytest.mark.parametrize("overrides", [
    ["model.cell=lstm"],
    ["model.cell=gru"],
    ["model.cell=rnn"],
    ["model.output=crf"],
    ["model.cell=lstm", "model.peepholes=true", "model.num_layers=2"],
    ["model.affixes.dim=3", "model.affixes.prefix=[1]", "model.affixes.suffix=[2]"],
    ["model.chars.dim=3", "model.chars.encoder=lstm"],
    ["model.chars.dim=3", "model.chars.encoder=cnn"],
    ["model.chars.dim=3", "model.chars.encoder=cnn", "model.chars.width=5",
     "model.chars.activation=relu"],
], ids=["lstm", "gru", "rnn", "crf", "peephole-2-layers", "affixes", "char-lstm", "char-cnn",
        "char-cnn-relu-5"])
def test_gradcheck_passes(tiny, cli, overrides):
    sets = [arg for override in overrides for arg in ("--set", override)]
    result = cli("gradcheck", tiny["config"], *sets, "--json")
    assert result.code == 0, result.out + result.err
    report = json.loads(result.out)
    assert report["max"] <= report["tolerance"]
    assert any(name.startswith("rnn.") for name in report["errors"])


@pytest.mark.parametrize("encoder,names", [
    ("lstm", {"chars.embedding.weight", "chars.rnn.l0.fwd.w_input", "chars.rnn.l0.bwd.w_hidden"}),
    ("cnn", {"chars.embedding.weight", "chars.conv.weight", "chars.conv.bias"}),
])
def test_gradcheck_covers_the_character_encoder(tiny, cli, encoder, names):
    result = cli("gradcheck", tiny["config"], "--set", "model.chars.dim=3",
                 "--set", f"model.chars.encoder={encoder}", "--json")
    assert result.code == 0, result.out + result.err
    errors = json.loads(result.out)["errors"]
    assert names <= {name for name in errors if name.startswith("chars.")}
    assert all(error <= 1e-6 for error in errors.values())


def test_gradcheck_prints_one_line_per_parameter(tiny, cli):
    result = cli("gradcheck", tiny["config"])
    assert result.code == 0
    assert "classifier.weight" in result.out and "max relative error" in result.out


def test_gradcheck_exits_1_above_the_tolerance(tiny, cli):
    result = cli("gradcheck", tiny["config"], "--tolerance", "1e-300")
    assert result.code == 1
    assert "above tolerance" in result.out


def test_gradcheck_of_a_bad_config_exits_2(tmp_path, cli):
    result = cli("gradcheck", tmp_path / "missing.yaml")
    assert result.code == 2 and "missing.yaml" in result.err


@pytest.mark.parametrize("overrides", [
    ["model.output=softmax"],
    ["model.output=crf"],
    ["model.output=ctc"],
    ["model.output=last_softmax", "model.sequence.pool=mean"],
    ["model.output=regression", "train.early_stopping.metric=mse"],
    ["model.output=regression", "model.regression.per_step=true", "model.regression.size=2",
     "train.early_stopping.metric=mse"],
], ids=["softmax", "crf", "ctc", "last_softmax", "regression", "regression-per-step"])
def test_gradcheck_builds_the_gold_each_output_layer_reads(tiny, cli, overrides):
    """`lstm gradcheck` once gave every output per-step labels, and crashed for the ones read
    per sequence (regression: 'needs one target per sequence')."""
    sets = [arg for override in overrides for arg in ("--set", override)]
    result = cli("gradcheck", tiny["config"], *sets, "--json")
    assert result.code == 0, result.out + result.err
    report = json.loads(result.out)
    assert report["max"] <= report["tolerance"]
    assert "classifier.weight" in report["errors"]


@pytest.mark.slow
@pytest.mark.parametrize("config", sorted(str(path.relative_to(REPO_ROOT)) for path in
                                          (REPO_ROOT / "configs").glob("**/*.yaml")
                                          if "sweeps" not in path.parts))
def test_gradcheck_passes_on_every_shipped_config(cli, config):
    result = cli("gradcheck", REPO_ROOT / config)
    assert result.code == 0, result.out + result.err
