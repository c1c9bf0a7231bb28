"""Helpers for the reliability tests: a tiny good dataset and config, and the `lstm` command run
in-process or as a real subprocess.

(Kept apart from tests/cli/helpers.py so each test folder stands alone.)
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

import lstm_cli

REPO_ROOT = Path(lstm_cli.__file__).resolve().parent.parent

GOOD_TRAIN = ("the\tO\nnews\tO\nfrom\tO\nparis\tB-LOC\n\n"
              "obama\tB-PER\nin\tO\nnew\tB-LOC\nyork\tI-LOC\n\n"
              "angela\tB-PER\nmerkel\tI-PER\ntoday\tO\n\n"
              "london\tB-LOC\nnews\tO\n\n")
GOOD_DEV = "paris\tB-LOC\nnews\tO\n\nmerkel\tB-PER\nin\tO\nlondon\tB-LOC\n\n"


def config_dict(**overrides: Any) -> dict:
    """A config that trains on train.txt / dev.txt in one blink; `overrides` are dotted keys
    (`config_dict(**{"data.train": "bad.txt"})`), a value of None deletes the key."""
    config: dict = {
        "seed": 0,
        "data": {"format": "conll", "train": "train.txt", "dev": "dev.txt"},
        "model": {"hidden_size": 8, "embedding": {"dim": 8}},
        "train": {"epochs": 1, "batch_size": 4, "threads": 1},
    }
    for dotted, value in overrides.items():
        *parents, last = dotted.split(".")
        node = config
        for part in parents:
            node = node.setdefault(part, {})
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return config


def config_yaml(**overrides: Any) -> str:
    return yaml.safe_dump(config_dict(**overrides), sort_keys=False)


def npz_bytes(**arrays: Any) -> bytes:
    """What `np.savez` writes (object arrays are pickled, as numpy does by default)."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err


def subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONUNBUFFERED="1")
    return env


def lstm_command(*argv: Any) -> list[str]:
    return [sys.executable, "-m", "lstm_cli", *map(str, argv)]


def start_subprocess(*argv: Any, cwd: Path, **kwargs: Any) -> subprocess.Popen:
    """`python -m lstm_cli argv` started in `cwd` (not waited for)."""
    return subprocess.Popen(lstm_command(*argv), cwd=cwd, env=subprocess_env(), **kwargs)
