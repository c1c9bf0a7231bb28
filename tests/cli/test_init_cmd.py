"""`lstm init`: inspect data, write a commented config that validates and trains."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import yaml

from lstm_cli.config import load_config
from lstm_cli.recipes import find_data_files
from tests.cli.helpers import make_sequences

_POS = {"O": "NN", "B": "NNP", "I": "NNP"}


def _write_conll_with_pos(path: Path, count: int, seed: int) -> Path:
    """token, a POS-like column, IOB2 label."""
    lines = []
    for sequence in make_sequences(count, seed):
        lines += [f"{token} {_POS[label[0]]} {label}" for token, label in sequence] + [""]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _write_conllu(path: Path, count: int, seed: int) -> Path:
    rng = random.Random(seed)
    words = [("The", "DET"), ("dog", "NOUN"), ("runs", "VERB"), ("quickly", "ADV"),
             ("Paris", "PROPN"), ("is", "AUX"), ("big", "ADJ"), (".", "PUNCT")]
    blocks = []
    for number in range(count):
        chosen = [rng.choice(words) for _ in range(rng.randint(2, 7))]
        rows = [f"{i}\t{form}\t{form.lower()}\t{upos}\t_\t_\t0\troot\t_\t_"
                for i, (form, upos) in enumerate(chosen, start=1)]
        blocks.append(f"# sent_id = {number}\n" + "\n".join(rows) + "\n")
    path.write_text("\n".join(blocks) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def chunk_data(tmp_path: Path) -> dict[str, Path]:
    directory = tmp_path / "ner"
    directory.mkdir()
    return {"train": _write_conll_with_pos(directory / "train.txt", 40, 1),
            "dev": _write_conll_with_pos(directory / "dev.txt", 12, 2),
            "test": _write_conll_with_pos(directory / "test.txt", 12, 3)}


def _init(cli, *argv) -> tuple[dict, str]:
    result = cli("init", *argv)
    assert result.code == 0, result.err
    out = Path(argv[list(argv).index("--out") + 1])
    return yaml.safe_load(out.read_text()), out.read_text()


def test_init_on_iob2_columns_writes_a_crf_entity_f1_config_that_trains(chunk_data, cli,
                                                                        tmp_path):
    out = tmp_path / "ner.yaml"
    config, text = _init(cli, "--train", chunk_data["train"], "--dev", chunk_data["dev"],
                         "--test", chunk_data["test"], "--out", out, "--epochs", "2")
    assert config["model"]["output"] == "crf" and config["model"]["crf"]["constraints"]
    assert config["train"]["early_stopping"]["metric"] == "entity.f1"
    assert config["train"]["early_stopping"]["tie_metric"] == "loss"
    assert config["data"]["feature_columns"] == {"column1": 1}     # the POS-like column
    assert config["model"]["features"] == {"column1": 16}
    assert config["train"]["ema_epochs"] and config["train"]["ema_bias_correction"]
    assert "split" not in config["data"]
    assert "# chunk labels: crf (guessed; --output overrides)" in text
    assert "IOB2" in cli("init", "--train", chunk_data["train"], "--out", tmp_path / "x.yaml").out
    load_config(out)                                                # validates
    run = tmp_path / "run"
    result = cli("train", out, "--out", run, "-q", "--set", "train.threads=1",
                 "--set", "model.hidden_size=8")
    assert result.code == 0, result.err
    report = json.loads((run / "report.json").read_text())
    assert report["entity"]["scheme"] == "IOB2"


def test_init_on_conllu_chooses_softmax_token_accuracy_chars_and_affixes(tmp_path, cli):
    train = _write_conllu(tmp_path / "train.conllu", 30, 1)
    dev = _write_conllu(tmp_path / "dev.conllu", 8, 2)
    config, _ = _init(cli, "--train", train, "--dev", dev, "--out", tmp_path / "pos.yaml")
    assert config["data"]["format"] == "conllu"
    assert config["model"]["output"] == "softmax"
    assert config["train"]["early_stopping"]["metric"] == "token_accuracy"
    assert config["model"]["chars"]["dim"] > 0 and config["model"]["affixes"]["dim"] > 0
    assert config["model"]["affixes"]["shape"]                    # the words are cased


def test_init_without_a_dev_file_cuts_dev_from_train_with_a_seed(chunk_data, tmp_path, cli):
    config, _ = _init(cli, "--train", chunk_data["train"], "--out", tmp_path / "a.yaml",
                      "--epochs", "1")
    assert config["data"]["split"] == {"train": 0.7, "dev": 0.1, "test": 0.2, "seed": 0}
    config, _ = _init(cli, "--train", chunk_data["train"], "--test", chunk_data["test"],
                      "--out", tmp_path / "b.yaml", "--epochs", "1")
    assert config["data"]["split"] == {"train": 0.9, "dev": 0.1, "test": 0.0, "seed": 0}
    run = tmp_path / "run"
    result = cli("train", tmp_path / "b.yaml", "--out", run, "-q", "--set", "train.threads=1",
                 "--set", "model.hidden_size=8")
    assert result.code == 0, result.err
    report = json.loads((run / "report.json").read_text())
    assert report["data"] == str(chunk_data["test"]) and report["num_sequences"] == 12


def test_flags_override_the_guesses(chunk_data, tmp_path, cli):
    config, text = _init(cli, "--train", chunk_data["train"], "--out", tmp_path / "c.yaml",
                         "--task", "tag", "--epochs", "7", "--seed", "3")
    assert config["model"]["output"] == "softmax"
    assert config["train"]["early_stopping"]["metric"] == "token_accuracy"
    assert config["train"]["epochs"] == 7 and config["seed"] == 3
    config, text = _init(cli, "--train", chunk_data["train"], "--out", tmp_path / "d.yaml",
                         "--output", "softmax")
    assert config["model"]["output"] == "softmax"
    assert config["train"]["early_stopping"]["metric"] == "entity.f1"
    assert "(--output)" in text


def test_init_from_a_directory_finds_the_splits_by_name(chunk_data, tmp_path, cli):
    directory = chunk_data["train"].parent
    assert find_data_files(directory) == {name: str(path) for name, path in chunk_data.items()}
    config, _ = _init(cli, directory, "--out", tmp_path / "e.yaml")
    assert config["data"]["dev"] == str(chunk_data["dev"])


def test_init_refuses_to_overwrite_and_bad_flags(chunk_data, tmp_path, cli):
    out = tmp_path / "f.yaml"
    out.write_text("seed: 1\n")
    result = cli("init", "--train", chunk_data["train"], "--out", out)
    assert result.code == 2 and "already exists" in result.err
    result = cli("init", "--train", chunk_data["train"], "--out", tmp_path / "g.yaml",
                 "--task", "ner")
    assert result.code == 2 and "--task" in result.err
    result = cli("init", "--train", chunk_data["train"], "--out", tmp_path / "h.yaml",
                 "--task", "chunk", "--format", "conllu")
    assert result.code == 2
