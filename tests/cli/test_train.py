"""`lstm train`: the run directory, output modes, overrides, exit codes."""

from __future__ import annotations

import json

import pytest
import yaml

from lstm_cli.checkpoint import load_checkpoint

from .helpers import assert_same_weights, tiny_config_dict, write_config

REPORT_KEYS = {"token_accuracy", "sequence_accuracy", "entity", "per_label", "num_sequences",
               "num_tokens", "checkpoint", "data"}


def test_train_writes_the_whole_run_directory(tiny, cli):
    run = tiny["dir"] / "run"
    result = cli("train", tiny["config"], "--out", run)
    assert result.code == 0, result.err
    assert sorted(p.name for p in run.iterdir() if not p.name.startswith(".")) == [
        "checkpoints", "config.yaml", "metrics.jsonl", "report.json", "report.md", "train.log"]
    assert not (run / ".lock").exists()

    resolved = yaml.safe_load((run / "config.yaml").read_text())
    assert resolved["model"]["hidden_size"] == 8
    assert resolved["model"]["num_layers"] == 1                      # a default, filled in
    assert resolved["train"]["optimizer"]["beta2"] == 0.999          # a nested default

    lines = (run / "metrics.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["epoch"] for r in records] == [1, 2]
    for record in records:
        assert record.keys() >= {"epoch", "train_loss", "dev", "lr", "seconds",
                                 "train_tokens_per_s"}
        assert record["dev"]["token_accuracy"] is not None
        assert record["train_loss"] > 0 and record["train_tokens_per_s"] > 0

    for name in ("last", "best"):
        checkpoint = load_checkpoint(run / "checkpoints" / name)
        assert "rnn.l0.fwd.w_input" in checkpoint.params

    report = json.loads((run / "report.json").read_text())
    assert REPORT_KEYS <= report.keys()
    assert set(report["entity"]) >= {"precision", "recall", "f1", "per_type"}
    assert set(report["entity"]["per_type"]) <= {"LOC", "PER", "ORG"}
    assert report["num_sequences"] == 12
    assert report["data"] == str(tiny["test"])
    markdown = (run / "report.md").read_text()
    assert f"| Token accuracy | {100 * report['token_accuracy']:.2f}% |" in markdown
    assert "epoch 2" in (run / "train.log").read_text()
    # The human summary goes to stderr, the one-line summary to stdout.
    assert "token_acc" in result.out and "Token accuracy" in result.err


def test_json_prints_only_the_report_on_stdout(tiny, cli):
    result = cli("train", tiny["config"], "--out", tiny["dir"] / "run", "--json")
    assert result.code == 0
    report = json.loads(result.out)                                # nothing else on stdout
    assert REPORT_KEYS <= report.keys()
    assert report == json.loads((tiny["dir"] / "run" / "report.json").read_text())


def test_quiet_prints_one_line(tiny, cli):
    result = cli("train", tiny["config"], "--out", tiny["dir"] / "run", "--quiet")
    assert result.code == 0
    assert result.err == ""
    assert len(result.out.strip().splitlines()) == 1
    assert "token_acc" in result.out and "best epoch" in result.out


def test_set_overrides_reach_the_resolved_config(tiny, cli):
    run = tiny["dir"] / "run"
    result = cli("train", tiny["config"], "--out", run, "-q", "--set", "model.cell=gru",
                 "--set", "train.epochs=1", "--set", "model.bidirectional=false")
    assert result.code == 0, result.err
    resolved = yaml.safe_load((run / "config.yaml").read_text())
    assert (resolved["model"]["cell"], resolved["train"]["epochs"],
            resolved["model"]["bidirectional"]) == ("gru", 1, False)
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 1
    assert not any(".bwd." in name for name in load_checkpoint(run / "checkpoints/last").params)


def test_unknown_set_key_exits_2_naming_the_key(tiny, cli):
    result = cli("train", tiny["config"], "--out", tiny["dir"] / "run",
                 "--set", "model.hiden_size=4")
    assert result.code == 2
    assert "hiden_size" in result.err and "model.hidden_size" in result.err
    assert not (tiny["dir"] / "run").exists()


def test_seed_option_sets_the_seed_and_changes_the_weights(tiny, cli):
    assert cli("train", tiny["config"], "--out", tiny["dir"] / "a", "-q", "--seed", "7").code == 0
    assert cli("train", tiny["config"], "--out", tiny["dir"] / "b", "-q", "--seed", "7").code == 0
    assert cli("train", tiny["config"], "--out", tiny["dir"] / "c", "-q").code == 0
    assert yaml.safe_load((tiny["dir"] / "a" / "config.yaml").read_text())["seed"] == 7
    assert_same_weights(tiny["dir"] / "a", tiny["dir"] / "b")
    a = load_checkpoint(tiny["dir"] / "a" / "checkpoints/last").params
    c = load_checkpoint(tiny["dir"] / "c" / "checkpoints/last").params
    assert any(a[name].tobytes() != c[name].tobytes() for name in a)


def test_same_config_and_seed_give_identical_checkpoints(tiny, cli):
    for name in ("a", "b"):
        assert cli("train", tiny["config"], "--out", tiny["dir"] / name, "-q").code == 0
    assert_same_weights(tiny["dir"] / "a", tiny["dir"] / "b")
    assert_same_weights(tiny["dir"] / "a", tiny["dir"] / "b", "best")
    # np.savez writes fixed zip timestamps, so the files themselves are identical too.
    assert (tiny["dir"] / "a/checkpoints/last/arrays.npz").read_bytes() == \
        (tiny["dir"] / "b/checkpoints/last/arrays.npz").read_bytes()


def test_default_run_directory_is_under_runs(tiny, cli, monkeypatch):
    monkeypatch.chdir(tiny["dir"])
    result = cli("train", tiny["config"], "-q", "--set", "train.epochs=1")
    assert result.code == 0, result.err
    runs = list((tiny["dir"] / "runs").iterdir())
    assert len(runs) == 1 and runs[0].name.startswith("config-")
    assert str(runs[0].name) in result.out


def test_output_dir_from_the_config(tiny, cli):
    run = tiny["dir"] / "from-config"
    config = write_config(tiny["dir"] / "out.yaml", tiny_config_dict(
        {k: tiny[k] for k in ("train", "dev", "test")}, output={"dir": str(run)},
        train={"epochs": 1}))
    assert cli("train", config, "-q").code == 0
    assert (run / "report.json").is_file()


def test_training_into_an_existing_run_needs_resume(tiny, cli):
    run = tiny["dir"] / "run"
    assert cli("train", tiny["config"], "--out", run, "-q").code == 0
    result = cli("train", tiny["config"], "--out", run, "-q")
    assert result.code == 2
    assert "already holds a run" in result.err and "--resume" in result.err


def test_resume_without_a_run_directory_exits_2(tiny, cli):
    result = cli("train", tiny["config"], "--resume")
    assert result.code == 2 and "--out" in result.err


def test_resume_with_a_changed_config_exits_2_naming_the_key(tiny, cli):
    run = tiny["dir"] / "run"
    assert cli("train", tiny["config"], "--out", run, "-q", "--set", "train.epochs=1").code == 0
    result = cli("train", tiny["config"], "--out", run, "-q", "--resume",
                 "--set", "train.batch_size=4")
    assert result.code == 2
    assert "train.batch_size" in result.err


def test_train_without_data_exits_2(tmp_path, cli):
    config = write_config(tmp_path / "c.yaml", {"model": {"hidden_size": 4}})
    result = cli("train", config, "--out", tmp_path / "run")
    assert result.code == 2 and "data.train" in result.err


# (overrides, the resolved config values they must give, parameters the checkpoint must hold,
#  gates per unit in the recurrent weights)
ARCHITECTURES = {
    "gru": (["model.cell=gru"], {"model.cell": "gru"}, {"rnn.l0.fwd.bias_hidden"}, 3),
    "rnn": (["model.cell=rnn"], {"model.cell": "rnn"}, set(), 1),
    "crf": (["model.output=crf"], {"model.output": "crf"},
            {"crf.transitions", "crf.start", "crf.end"}, 4),
    "two-layers": (["model.num_layers=2"], {"model.num_layers": 2}, {"rnn.l1.bwd.w_input"}, 4),
    "peepholes-dropout": (["model.peepholes=true", "model.dropout=0.2"],
                          {"model.peepholes": True, "model.dropout": 0.2},
                          {"rnn.l0.fwd.peep_i", "rnn.l0.bwd.peep_o"}, 4),
}


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_each_cell_and_output_trains_and_reports(tiny, cli, name):
    overrides, resolved_values, params_held, gates = ARCHITECTURES[name]
    run = tiny["dir"] / name
    sets = [arg for override in overrides for arg in ("--set", override)]
    result = cli("train", tiny["config"], "--out", run, "-q", "--set", "train.epochs=1", *sets)
    assert result.code == 0, (overrides, result.err)

    resolved = yaml.safe_load((run / "config.yaml").read_text())
    for dotted, value in resolved_values.items():
        section, key = dotted.split(".")
        assert resolved[section][key] == value, dotted
    params = load_checkpoint(run / "checkpoints" / "best").params
    assert params_held <= params.keys()
    assert params["rnn.l0.fwd.w_hidden"].size == 8 * gates * 8          # hidden_size 8
    assert [json.loads(line)["epoch"] for line in
            (run / "metrics.jsonl").read_text().splitlines()] == [1]

    report = json.loads((run / "report.json").read_text())
    test_tokens = [line for line in tiny["test"].read_text().splitlines() if line.strip()]
    assert REPORT_KEYS <= report.keys()
    assert (report["num_sequences"], report["num_tokens"]) == (12, len(test_tokens))
    assert 0.0 <= report["token_accuracy"] <= 1.0
    train_labels = {line.split("\t")[1] for line in tiny["train"].read_text().splitlines()
                    if line.strip()}
    assert set(report["per_label"]) <= train_labels
    assert set(report["entity"]["per_type"]) <= {"LOC", "PER", "ORG"}
    assert report["data"] == str(tiny["test"])
    assert f"| Token accuracy | {100 * report['token_accuracy']:.2f}% |" in \
        (run / "report.md").read_text()


def test_affix_features_train_and_travel_with_the_checkpoint(tiny, cli):
    run = tiny["dir"] / "affixes"
    result = cli("train", tiny["config"], "--out", run, "-q", "--set", "train.epochs=1",
                 "--set", "model.affixes.dim=4", "--set", "model.affixes.prefix=[2]",
                 "--set", "model.chars.dim=4", "--set", "model.chars.hidden_size=3")
    assert result.code == 0, result.err
    meta = json.loads((run / "checkpoints" / "best" / "meta.json").read_text())
    assert set(meta["vocabs"]["affixes"]) == {"prefix2", "suffix1", "suffix2", "suffix3",
                                               "suffix4", "shape"}
    evaluated = cli("eval", run, "--data", tiny["test"], "--json")
    assert evaluated.code == 0, evaluated.err
    assert json.loads(evaluated.out)["token_accuracy"] == json.loads(
        (run / "report.json").read_text())["token_accuracy"]


def test_affix_name_colliding_with_a_feature_column_exits_2(tiny, cli):
    result = cli("train", tiny["config"], "--out", tiny["dir"] / "clash", "-q",
                 "--set", "data.feature_columns.shape=0", "--set", "model.features.shape=4",
                 "--set", "model.affixes.dim=4")
    assert result.code == 2 and "model.affixes" in result.err


def test_char_cnn_trains_and_evaluates_from_the_checkpoint(tiny, cli):
    run = tiny["dir"] / "char-cnn"
    result = cli("train", tiny["config"], "--out", run, "-q", "--set", "train.epochs=1",
                 "--set", "model.chars.dim=4", "--set", "model.chars.encoder=cnn",
                 "--set", "model.chars.filters=5")
    assert result.code == 0, result.err
    params = load_checkpoint(run / "checkpoints" / "best").params
    assert params["chars.conv.weight"].shape == (5, 3, 4)
    assert not any(name.startswith("chars.rnn.") for name in params)
    evaluated = cli("eval", run, "--data", tiny["test"], "--json")
    assert evaluated.code == 0, evaluated.err
    assert json.loads(evaluated.out)["token_accuracy"] == json.loads(
        (run / "report.json").read_text())["token_accuracy"]


def test_train_scores_dev_and_test_labels_training_never_saw(tiny, cli):
    with tiny["test"].open("a") as test:
        test.write("paris\tB-LOC\nlist\tI-LST\n\n")   # I-LST is in no training sentence
    result = cli("train", tiny["config"], "--out", tiny["dir"] / "run")
    assert result.code == 0, result.err
    assert result.err.count("warning: the test data holds 1 label(s) never seen") == 1
    assert "I-LST (1 token)" in result.err
    report = json.loads((tiny["dir"] / "run" / "report.json").read_text())
    assert report["unseen_labels"] == {"I-LST": 1}
    assert "I-LST (1 token)" in (tiny["dir"] / "run" / "report.md").read_text()
