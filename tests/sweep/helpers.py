"""Helpers for the sweep tests: a tiny project (data and base config), sweep files, PNG sizes,
`lstm` as a real subprocess.

The base config trains in well under a second: hidden_size 4, embedding dim 4, 20 sequences.
Paths inside it are absolute, so runs work from any working directory.
"""

from __future__ import annotations

import random
import struct
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

GRID_NAMES = ["hidden_size=4,lr=0.003", "hidden_size=4,lr=0.01", "hidden_size=6,lr=0.003",
              "hidden_size=6,lr=0.01"]
"""The run directories of the shared 2×2 sweep (`grid_sweep`), in report order."""

WORDS = {"paris": "B-LOC", "london": "B-LOC", "obama": "B-PER", "merkel": "B-PER"}
FILLER = ["the", "news", "from", "about", "today", "show", "me"]


@dataclass
class Result:
    code: int
    out: str
    err: str


def write_conll(path: Path, count: int, seed: int) -> Path:
    rng = random.Random(seed)
    blocks = []
    for _ in range(count):
        tokens = [rng.choice(FILLER + list(WORDS)) for _ in range(rng.randint(2, 6))]
        blocks.append("".join(f"{t}\t{WORDS.get(t, 'O')}\n" for t in tokens))
    path.write_text("\n".join(blocks) + "\n", encoding="utf-8")
    return path


def make_project(directory: Path, *, epochs: int = 2) -> Path:
    """Data and `base.yaml` in `directory`; returns the base config's path."""
    directory.mkdir(parents=True, exist_ok=True)
    data = {"train": write_conll(directory / "train.txt", 20, 1),
            "dev": write_conll(directory / "dev.txt", 8, 2),
            "test": write_conll(directory / "test.txt", 8, 3)}
    config = {"seed": 0, "data": {name: str(path) for name, path in data.items()},
              "model": {"hidden_size": 4, "embedding": {"dim": 4}},
              "train": {"epochs": epochs, "batch_size": 8}}
    base = directory / "base.yaml"
    base.write_text(yaml.safe_dump(config), encoding="utf-8")
    return base


def write_sweep(directory: Path, text: str, name: str = "sweep.yaml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from the IHDR chunk, after checking the PNG signature."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def lstm_subprocess(*args: str, cwd: Path, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "lstm_cli", *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)
