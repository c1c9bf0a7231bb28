"""Tiny CoNLL-U documents for the tokeniser and raw-text scoring tests."""

from __future__ import annotations

from pathlib import Path

import yaml


def word(ident: int | str, form: str, upos: str = "X", misc: str = "_") -> str:
    return f"{ident}\t{form}\t{form.lower()}\t{upos}\t_\t_\t0\tdep\t_\t{misc}"


# "I don't know. Go home!" then a new paragraph "Café naïve, yes."
SAMPLE = "\n".join([
    "# newdoc id = d1",
    "# newpar",
    "# text = I don't know.",
    word(1, "I", "PRON"), "2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_",
    word(2, "do", "AUX"), word(3, "n't", "PART"), word(4, "know", "VERB", "SpaceAfter=No"),
    word(5, ".", "PUNCT"), "",
    "# text = Go home!",
    word(1, "Go", "VERB"), word(2, "home", "ADV", "SpaceAfter=No"), word(3, "!", "PUNCT"), "",
    "# newpar",
    "# text = Café naïve, yes.",
    word(1, "Café", "NOUN"), word(2, "naïve", "ADJ", "SpaceAfter=No"), word(3, ",", "PUNCT"),
    word(4, "yes", "INTJ", "SpaceAfter=No"), word(5, ".", "PUNCT"), "", ""])
SAMPLE_TEXT = "I don't know. Go home!\n\nCafé naïve, yes."


def write_sample(path: Path, copies: int = 1) -> Path:
    path.write_text(SAMPLE * copies, encoding="utf-8")
    return path


def train_tokenizer(directory: Path) -> Path:
    """Train a tiny tokeniser (format conllu_chars) on copies of SAMPLE; its run directory."""
    from lstm_cli.cli.main import main

    train = write_sample(directory / "train.conllu", copies=8)
    config = {"seed": 0, "data": {"format": "conllu_chars", "train": str(train),
                                  "dev": str(train)},
              "model": {"hidden_size": 8, "embedding": {"dim": 8},
                        "affixes": {"dim": 4, "prefix": [1], "suffix": [], "shape": True}},
              "train": {"epochs": 2, "batch_size": 4, "threads": 1,
                        "optimizer": {"name": "adam", "lr": 0.01}}}
    (directory / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    assert main(["train", str(directory / "config.yaml"), "--out", str(directory / "run"),
                 "-q"]) == 0
    return directory / "run"
