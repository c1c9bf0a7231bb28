"""Helpers for the reliability tests: a tiny good dataset and config, and the `lstm` command run
in-process or as a real subprocess.

(Kept apart from tests/cli/helpers.py so each test folder stands alone.)
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import yaml

from tests.support import (  # noqa: F401  (re-exported for the tests here)
    REPO_ROOT,
    Result,
    lstm_command,
    run_subprocess,
    start_subprocess,
    subprocess_env,
)

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
