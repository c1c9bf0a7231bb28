"""Issue 8's malformed-input corpus: every case is a few small files written into tmp_path, an
`lstm` command line, and what its one-line message must say.

Each case runs in-process through `lstm_cli.cli.main.main` (the console entry point: the same
argument parsing, error rendering and exit codes; ~50 ms a case). The cases marked `sub` — one or
more of every kind — also run through the real CLI, `python -m lstm_cli` in a subprocess, in one
test that starts them side by side; set LSTM_TEST_ALL_SUBPROCESS=1 to send every case that way
(about three minutes on 2 cores: interpreter start-up).

Every case must exit with its code (2 unless said otherwise), name the problem (file and line, or
config key, as in `expect`) and print no traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from lstm_cli.checkpoint import FORMAT_VERSION

from .helpers import GOOD_DEV, GOOD_TRAIN, config_yaml, npz_bytes, start_subprocess

# A file is text, bytes, or a function that makes it: `make(path, checkpoints)`.
FileSpec = str | bytes | Callable[[Path, dict[str, Path]], None]


@dataclass
class Case:
    id: str
    argv: list[str]
    expect: list[str]                       # substrings of stdout + stderr
    files: dict[str, FileSpec] = field(default_factory=dict)
    code: int = 2
    sub: bool = False                       # also through a real subprocess

    def write(self, directory: Path, checkpoints: dict[str, Path]) -> None:
        files = {"train.txt": GOOD_TRAIN, "dev.txt": GOOD_DEV, "c.yaml": config_yaml(),
                 **self.files}
        for name, spec in files.items():
            path = directory / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if callable(spec):
                spec(path, checkpoints)
            elif isinstance(spec, bytes):
                path.write_bytes(spec)
            else:
                path.write_text(spec, encoding="utf-8", newline="")


def train_with(**overrides) -> dict[str, FileSpec]:
    """`c.yaml` with these dotted overrides."""
    return {"c.yaml": config_yaml(**overrides)}


def conll_case(id: str, text: str | bytes, expect: list[str], code: int = 2,
               sub: bool = False, **overrides) -> Case:
    """Train on `bad.txt` holding `text`."""
    return Case(id, ["train", "c.yaml", "--out", "run", "-q"], expect,
                {"bad.txt": text, **train_with(**{"data.train": "bad.txt", **overrides})},
                code=code, sub=sub)


def jsonl_case(id: str, lines: list[str], expect: list[str], sub: bool = False) -> Case:
    text = "".join(line + "\n" for line in lines)
    return Case(id, ["train", "c.yaml", "--out", "run", "-q"], expect,
                {"bad.jsonl": text, **train_with(**{"data.format": "jsonl",
                                                    "data.train": "bad.jsonl",
                                                    "data.dev": None})}, sub=sub)


def dense_case(id: str, arrays: dict, expect: list[str], sub: bool = False) -> Case:
    return Case(id, ["train", "c.yaml", "--out", "run", "-q"], expect,
                {"bad.npz": npz_bytes(**arrays), **train_with(**{"data.format": "dense",
                                                                 "data.train": "bad.npz",
                                                                 "data.dev": None})}, sub=sub)


def vectors_case(id: str, text: str, expect: list[str], dim: int = 2, sub: bool = False) -> Case:
    return Case(id, ["train", "c.yaml", "--out", "run", "-q"], expect,
                {"vectors.txt": text, **train_with(**{
                    "model.embedding.pretrained": "vectors.txt", "model.embedding.dim": dim})},
                sub=sub)


def config_case(id: str, text: str | bytes, expect: list[str], sub: bool = False) -> Case:
    return Case(id, ["config", "validate", "bad.yaml"], expect, {"bad.yaml": text}, sub=sub)


def set_case(id: str, override: str, expect: list[str], sub: bool = False) -> Case:
    return Case(id, ["train", "c.yaml", "--out", "run", "-q", "--set", override], expect, sub=sub)


# --- checkpoints ---------------------------------------------------------------------------


def checkpoint(mutate: Callable[[Path], None] | None = None, kind: str = "plain"
               ) -> Callable[[Path, dict[str, Path]], None]:
    """A copy of a good checkpoint, then broken by `mutate(directory)`."""

    def make(path: Path, checkpoints: dict[str, Path]) -> None:
        shutil.copytree(checkpoints[kind], path)
        if mutate is not None:
            mutate(path)

    return make


def edit_meta(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def mutate(directory: Path) -> None:
        meta = json.loads((directory / "meta.json").read_text())
        change(meta)
        (directory / "meta.json").write_text(json.dumps(meta))
    return mutate


def replace_arrays(data: bytes) -> Callable[[Path], None]:
    """Swap in other arrays.npz bytes and record their sha256, so only the content is wrong."""
    import hashlib

    def mutate(directory: Path) -> None:
        (directory / "arrays.npz").write_bytes(data)
        meta = json.loads((directory / "meta.json").read_text())
        meta["arrays_sha256"] = hashlib.sha256(data).hexdigest()
        (directory / "meta.json").write_text(json.dumps(meta))
    return mutate


def flip_a_byte(directory: Path) -> None:
    data = bytearray((directory / "arrays.npz").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (directory / "arrays.npz").write_bytes(bytes(data))


def drop_a_parameter(directory: Path) -> None:
    with np.load(directory / "arrays.npz", allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files
                  if name != "param/classifier.bias"}
    replace_arrays(npz_bytes(**arrays))(directory)


class CreatesAFileWhenUnpickled:
    """Unpickling this runs `Path("pwned").touch()`: a stand-in for arbitrary code."""

    def __reduce__(self):
        return Path("pwned").touch, ()


def evil_npz() -> bytes:
    return npz_bytes(**{"param/classifier.bias": np.array([CreatesAFileWhenUnpickled()],
                                                          dtype=object)})


def ckpt_case(id: str, command: list[str], mutate: Callable[[Path], None] | None,
              expect: list[str], sub: bool = False, kind: str = "plain",
              extra: dict[str, FileSpec] | None = None, code: int = 2) -> Case:
    return Case(id, command, expect, {"ckpt": checkpoint(mutate, kind), **(extra or {})},
                code=code, sub=sub)


EVAL = ["eval", "ckpt", "--data", "dev.txt"]
PREDICT = ["predict", "ckpt", "dev.txt"]

UTF8_BAD = "paris\tB-LOC\ncaf\xe9\tO\n\n".encode("latin-1")
LONG = "".join(f"w{i}\tO\n" for i in range(12)) + "\n"

CASES: list[Case] = [
    # --- config files ---------------------------------------------------------------------
    Case("config-missing", ["config", "validate", "nothere.yaml"],
         ["nothere.yaml", "not found"]),
    Case("config-is-a-directory", ["train", "folder.yaml"], ["folder.yaml", "directory"],
         {"folder.yaml/inside.txt": "x"}),
    Case("config-empty-file", ["train", "empty.yaml", "--out", "run"], ["data.train is not set"],
         {"empty.yaml": ""}),
    config_case("config-not-utf8", b"seed: 1  # caf\xe9\n",
                ["bad.yaml", "UTF-8", "byte offset 14"]),
    config_case("config-a-list", "- seed\n- model\n", ["bad.yaml", "mapping", "list"]),
    config_case("config-a-string", "just words\n", ["bad.yaml", "mapping", "str"]),
    config_case("config-duplicate-key", "seed: 1\nseed: 2\n",
                ["bad.yaml:2", "duplicate key 'seed'", "line 1"]),
    config_case("config-duplicate-nested-key", "model:\n  hidden_size: 8\n  hidden_size: 9\n",
                ["bad.yaml:3", "duplicate key 'model.hidden_size'"]),
    config_case("config-unknown-key", "model:\n  hiden_size: 8\n",
                ["bad.yaml:2", "unknown key 'model.hiden_size'",
                 "did you mean 'model.hidden_size'"], sub=True),
    config_case("config-unknown-section", "modle:\n  hidden_size: 8\n",
                ["bad.yaml:1", "unknown key 'modle'", "did you mean 'model'"]),
    config_case("config-unknown-nested-key", "train:\n  optimizer:\n    learning_rate: 0.1\n",
                ["bad.yaml:3", "train.optimizer.learning_rate"]),
    config_case("config-wrong-type-int", "model:\n  hidden_size: large\n",
                ["bad.yaml:2", "model.hidden_size", "integer", "'large'"]),
    config_case("config-wrong-type-bool", "model:\n  bidirectional: maybe\n",
                ["bad.yaml:2", "model.bidirectional", "boolean"]),
    config_case("config-wrong-type-list", "train:\n  epochs: [1, 2]\n",
                ["bad.yaml:2", "train.epochs"]),
    config_case("config-section-not-a-mapping", "model: 3\n", ["bad.yaml:1", "model"]),
    config_case("config-bad-choice", "model:\n  cell: lstmm\n",
                ["bad.yaml:2", "model.cell", "'lstm'", "'lstmm'"]),
    config_case("config-negative-hidden-size", "model:\n  hidden_size: -8\n",
                ["bad.yaml:2", "model.hidden_size", "greater than or equal to 1"]),
    config_case("config-negative-layers", "model:\n  num_layers: -1\n",
                ["bad.yaml:2", "model.num_layers"]),
    config_case("config-negative-embedding-dim", "model:\n  embedding:\n    dim: -4\n",
                ["bad.yaml:3", "model.embedding.dim"]),
    config_case("config-zero-batch-size", "train:\n  batch_size: 0\n",
                ["bad.yaml:2", "train.batch_size"]),
    config_case("config-dropout-one", "model:\n  dropout: 1.0\n",
                ["bad.yaml:2", "model.dropout", "less than 1"]),
    config_case("config-lr-zero", "train:\n  optimizer:\n    lr: 0\n",
                ["bad.yaml:3", "train.optimizer.lr", "greater than 0"]),
    config_case("config-lr-negative", "train:\n  optimizer:\n    lr: -0.01\n",
                ["bad.yaml:3", "train.optimizer.lr"]),
    config_case("config-lr-infinite", "train:\n  optimizer:\n    lr: .inf\n",
                ["bad.yaml:3", "train.optimizer.lr", "finite"]),
    config_case("config-split-fractions", "data:\n  split: {train: 0.5, dev: 0.1, test: 0.1}\n",
                ["bad.yaml:2", "data.split", "add up to 1"]),
    config_case("config-invalid-yaml", "model: {hidden_size: 8\n", ["bad.yaml", "invalid YAML"],
                sub=True),
    config_case("config-tab-indent", "model:\n\thidden_size: 8\n", ["bad.yaml:2", "invalid YAML"]),
    Case("config-split-and-dev", ["train", "c.yaml", "--out", "run"], ["data.split"],
         train_with(**{"data.split": {"train": 0.5, "dev": 0.25, "test": 0.25}})),
    # --- --set ------------------------------------------------------------------------------
    set_case("set-without-equals", "model.hidden_size", ["--set", "KEY=VALUE"], sub=True),
    set_case("set-empty-key", "=4", ["--set", "KEY=VALUE"]),
    set_case("set-unknown-key", "model.hiden_size=4",
             ["--set model.hiden_size", "did you mean 'model.hidden_size'"]),
    set_case("set-wrong-type", "train.epochs=many", ["--set train.epochs", "integer"]),
    set_case("set-out-of-range", "model.dropout=1.5", ["--set model.dropout", "less than 1"]),
    # --- data files -------------------------------------------------------------------------
    conll_case("data-empty-file", "", ["bad.txt", "at least one sequence"]),
    conll_case("data-blank-lines-only", "\n\n  \n", ["bad.txt", "at least one sequence"]),
    Case("data-missing-file", ["train", "c.yaml", "--out", "run"], ["nothere.txt", "nothing"],
         train_with(**{"data.train": "nothere.txt"})),
    Case("data-directory", ["train", "c.yaml", "--out", "run"], ["folder", "directory"],
         {"folder/a.txt": GOOD_TRAIN, **train_with(**{"data.train": "folder"})}),
    conll_case("data-not-utf8", UTF8_BAD, ["bad.txt:2", "UTF-8", "0xe9", "byte offset 15"],
               sub=True),
    Case("data-path-is-not-run-by-a-shell", ["train", "c.yaml", "--out", "run"],
         ["$(touch pwned)", "nothing"], train_with(**{"data.train": "$(touch pwned)"})),
    Case("data-path-is-not-expanded", ["train", "c.yaml", "--out", "run"],
         ["~/no-such-lstm-data/train.txt", "nothing"],
         train_with(**{"data.train": "~/no-such-lstm-data/train.txt"})),
    conll_case("data-crlf-accepted", GOOD_TRAIN.replace("\n", "\r\n"), ["token_acc"], code=0),
    conll_case("data-bom-accepted", "\ufeff" + GOOD_TRAIN, ["token_acc"], code=0),
    conll_case("data-wrong-column-count", "paris\tB-LOC\nnew york\tB-LOC\n\n",
               ["bad.txt:2", "expected 2 columns", "found 3"], sub=True),
    conll_case("data-label-column-missing", "paris\tB-LOC\n\n",
               ["bad.txt:1", "label column at index 2", "2 columns"], **{"data.label_column": 2}),
    conll_case("data-label-field-empty", "paris\tB-LOC\nnews\t\n\n",
               ["bad.txt:2", "empty or whitespace-only"]),
    conll_case("data-whitespace-only-token", "paris\tB-LOC\n\u00a0\tO\n\n",
               ["bad.txt:2", "whitespace-only"]),
    conll_case("data-too-long-rejected", LONG, ["bad.txt:1", "at most 5 positions", "12"],
               **{"data.max_length": 5, "data.too_long": "reject"}),
    Case("data-too-long-split-warns", ["train", "c.yaml", "--out", "run"],
         ["were split into chunks"],
         {"long.txt": LONG + GOOD_TRAIN, **train_with(**{"data.train": "long.txt",
                                                         "data.max_length": 5})}, code=0),
    conll_case("data-feature-column-missing", GOOD_TRAIN, ["bad.txt:1", "feature 'pos'"],
               **{"data.feature_columns": {"pos": 5}, "model.features": {"pos": 4}}),
    Case("data-dev-labels-unseen-scored", ["train", "c.yaml", "--out", "run"],
         ["never seen in training", "B-ORG (1 token)", "scored as errors"],
         {"dev.txt": "paris\tB-LOC\nnews\tO\n\nbbc\tB-ORG\n\n"}, code=0),
    Case("data-conllu-field-count", ["train", "c.yaml", "--out", "run"],
         ["bad.conllu:2", "10 tab-separated fields"],
         {"bad.conllu": "# sent_id = 1\n1\tThe\tthe\tDET\n\n",
          **train_with(**{"data.format": "conllu", "data.train": "bad.conllu", "data.dev": None})}),
    # --- JSONL --------------------------------------------------------------------------------
    jsonl_case("jsonl-corrupt-line", ['{"tokens": ["a"], "labels": ["O"]}',
                                      '{"tokens": ["b"], "labels": ["O"'],
               ["bad.jsonl:2", "invalid JSON"], sub=True),
    jsonl_case("jsonl-not-an-object", ['{"tokens": ["a"], "labels": ["O"]}', '["b"]'],
               ["bad.jsonl:2", "JSON object", "list"]),
    jsonl_case("jsonl-label-count", ['{"tokens": ["a", "b"], "labels": ["O"]}'],
               ["bad.jsonl:1", "one per token"]),
    jsonl_case("jsonl-no-tokens", ['{"labels": ["O"]}'], ["bad.jsonl:1", "'tokens'"]),
    jsonl_case("jsonl-blank-token", ['{"tokens": ["a", "  "], "labels": ["O", "O"]}'],
               ["bad.jsonl:1", "non-blank", "'tokens'"]),
    jsonl_case("jsonl-empty-label", ['{"tokens": ["a"], "labels": [""]}'],
               ["bad.jsonl:1", "non-blank", "'labels'"]),
    jsonl_case("jsonl-fields-differ", ['{"tokens": ["a"], "labels": ["O"]}', '{"tokens": ["b"]}'],
               ["bad.jsonl:2", "fields of line 1"]),
    # --- word vectors -------------------------------------------------------------------------
    vectors_case("vectors-ragged-rows", "the 0.1 0.2\nnews 0.1 0.2 0.3\n",
                 ["vectors.txt:2", "expected 2 values"], sub=True),
    vectors_case("vectors-dim-differs-from-config", "the 0.1 0.2\nnews 0.3 0.4\n",
                 ["model.embedding.dim", "8", "2 dimensions"], dim=8),
    vectors_case("vectors-nan", "the 0.1 nan\n", ["vectors.txt:1", "finite", "nan"]),
    vectors_case("vectors-inf", "the 0.1 0.2\nnews -inf 0.2\n", ["vectors.txt:2", "finite"]),
    vectors_case("vectors-not-a-number", "the 0.1 abc\n", ["vectors.txt:1", "'abc'"]),
    vectors_case("vectors-header-count", "3 2\nthe 0.1 0.2\n", ["vectors.txt", "expected 3"]),
    vectors_case("vectors-empty", "", ["vectors.txt", "at least one word vector"]),
    Case("vectors-missing", ["train", "c.yaml", "--out", "run"], ["nothere.vec", "nothing"],
         train_with(**{"model.embedding.pretrained": "nothere.vec"})),
    # --- dense frames -------------------------------------------------------------------------
    dense_case("dense-nan-frame", {"x": np.array([[0.0], [np.nan], [1.0]]),
                                   "lengths": np.array([3]), "y": np.array(["a", "b", "a"])},
               ["bad.npz", "finite", "'x'", "[1, 0]"]),
    dense_case("dense-inf-frame", {"x": np.array([[0.0], [1.0], [np.inf]]),
                                   "lengths": np.array([3]), "y": np.array(["a", "b", "a"])},
               ["bad.npz", "finite", "inf"]),
    dense_case("dense-lengths-mismatch", {"x": np.zeros((4, 2)), "lengths": np.array([3]),
                                          "y": np.array(["a", "b", "a", "b"])},
               ["bad.npz", "sum(lengths)", "4 rows"]),
    dense_case("dense-labels-mismatch", {"x": np.zeros((3, 2)), "lengths": np.array([3]),
                                         "y": np.array(["a", "b"])},
               ["bad.npz", "3 entries in 'y'", "2"]),
    dense_case("dense-zero-length", {"x": np.zeros((3, 2)), "lengths": np.array([3, 0]),
                                     "y": np.array(["a", "b", "a"])},
               ["bad.npz", "'lengths'", ">= 1"]),
    dense_case("dense-no-x", {"lengths": np.array([3])}, ["bad.npz", "'x'"]),
    dense_case("dense-pickled-labels", {"x": np.zeros((3, 2)), "lengths": np.array([3]),
                                        "y": np.array(["a", "b", "a"], dtype=object)},
               ["bad.npz", "pickle", "refused"], sub=True),
    dense_case("dense-pickle-runs-no-code", {"x": np.zeros((1, 2)), "lengths": np.array([1]),
                                             "y": np.array([CreatesAFileWhenUnpickled()],
                                                           dtype=object)},
               ["bad.npz", "pickle", "refused"]),
    Case("dense-not-an-archive", ["train", "c.yaml", "--out", "run"], ["bad.npz", ".npz archive"],
         {"bad.npz": "x,y\n1,2\n", **train_with(**{"data.format": "dense",
                                                  "data.train": "bad.npz", "data.dev": None})}),
    # --- checkpoints --------------------------------------------------------------------------
    ckpt_case("checkpoint-newer-format", EVAL,
              edit_meta(lambda meta: meta.update(format_version=FORMAT_VERSION + 1)),
              ["ckpt/meta.json", f"version {FORMAT_VERSION + 1}", "newer"]),
    ckpt_case("checkpoint-missing-arrays", EVAL,
              lambda directory: (directory / "arrays.npz").unlink(),
              ["ckpt/arrays.npz", "missing"]),
    ckpt_case("checkpoint-missing-meta", PREDICT,
              lambda directory: (directory / "meta.json").unlink(), ["ckpt", "meta.json"]),
    ckpt_case("checkpoint-sha256-mismatch", EVAL, flip_a_byte,
              ["ckpt/arrays.npz", "sha256"], sub=True),
    ckpt_case("checkpoint-meta-not-json", EVAL,
              lambda directory: (directory / "meta.json").write_text("{oops"),
              ["ckpt/meta.json", "not valid JSON"]),
    ckpt_case("checkpoint-meta-not-an-object", EVAL,
              lambda directory: (directory / "meta.json").write_text("[1, 2]"),
              ["ckpt/meta.json", "JSON object"]),
    ckpt_case("checkpoint-meta-without-config", EVAL,
              edit_meta(lambda meta: meta.pop("config")), ["ckpt", "does not describe a model"]),
    ckpt_case("checkpoint-pickle-bearing-arrays", PREDICT, replace_arrays(evil_npz()),
              ["ckpt/arrays.npz", "pickled", "refuses"], sub=True),
    ckpt_case("checkpoint-arrays-not-npz", EVAL, replace_arrays(b"not a zip file"),
              ["ckpt/arrays.npz", "not a .npz archive"]),
    ckpt_case("checkpoint-missing-parameter", EVAL, drop_a_parameter,
              ["ckpt", "classifier.bias"]),
    Case("checkpoint-missing", ["predict", "nothere", "dev.txt"],
         ["nothere", "no such checkpoint or run directory"]),
    Case("run-directory-without-checkpoints", ["eval", "emptyrun"],
         ["emptyrun", "checkpoints/best/"], {"emptyrun/config.yaml": "seed: 0\n"}),
    Case("resume-without-a-run", ["train", "c.yaml", "--out", "fresh", "--resume"],
         ["fresh/checkpoints/last", "not found"]),
    # --- eval and predict inputs --------------------------------------------------------------
    ckpt_case("eval-labels-never-seen-scored", ["eval", "ckpt", "--data", "gold.txt"], None,
              ["never seen in training", "B-MISC (1 token)"], sub=True, code=0,
              extra={"gold.txt": "paris\tB-LOC\n\nzurich\tB-MISC\n\n"}),
    ckpt_case("eval-wrong-columns", ["eval", "ckpt", "--data", "gold.txt"], None,
              ["gold.txt:2", "columns"], extra={"gold.txt": "paris\tB-LOC\nnew york B-LOC\n\n"}),
    ckpt_case("predict-missing-input", ["predict", "ckpt", "nothere.txt"], None,
              ["nothere.txt", "nothing"]),
    ckpt_case("predict-input-not-utf8", ["predict", "ckpt", "in.txt"], None,
              ["in.txt:1", "byte offset 3"], extra={"in.txt": b"caf\xe9 news\n"}),
    ckpt_case("predict-empty-input", ["predict", "ckpt", "in.txt"], None,
              ["in.txt", "at least one sequence"], extra={"in.txt": "\n\n"}),
    ckpt_case("predict-gold-from-plain-text", ["predict", "ckpt", "in.jsonl", "--with-gold"],
              None, ["in.jsonl:1", "--with-gold", "gold labels"],
              extra={"in.jsonl": '{"tokens": ["paris"]}\n'}),
    ckpt_case("predict-bad-format", ["predict", "ckpt", "dev.txt", "--format", "xml"], None,
              ["--format", "'xml'"]),
    ckpt_case("export-peephole-model", ["export", "ckpt", "out.npz"], None,
              ["PyTorch", "peephole"], kind="peephole"),
    # --- command line -------------------------------------------------------------------------
    Case("usage-unknown-command", ["trian", "c.yaml"], ["No such command"], sub=True),
    Case("usage-missing-argument", ["eval"], ["Missing argument"]),
    Case("usage-bad-option-value", ["data", "make", "queries", "--out", "d", "--size", "0"],
         ["--size"]),
]


def check(case: Case, code: int, output: str, directory: Path) -> None:
    assert code == case.code, f"{case.id}: exit {code}, expected {case.code}\n{output}"
    assert "Traceback" not in output, output
    for expected in case.expect:
        assert expected in output, f"{case.id}: {expected!r} not in:\n{output}"
    if case.code == 2:
        assert "error" in output.lower()
        assert output.count("error:") <= 1, f"{case.id}: more than one message:\n{output}"
    assert not (directory / "pwned").exists(), "a checkpoint ran code while loading"


def test_the_corpus_is_large_and_ids_are_unique():
    assert len(CASES) >= 50
    assert len({case.id for case in CASES}) == len(CASES)
    assert sum(case.sub for case in CASES) >= 10


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_malformed_input(case, tmp_path, cli, checkpoints, monkeypatch):
    case.write(tmp_path, checkpoints)
    monkeypatch.chdir(tmp_path)
    result = cli(*case.argv)
    check(case, result.code, result.output, tmp_path)


@pytest.mark.slow
def test_cases_through_the_real_cli(tmp_path, checkpoints):
    """The `sub` cases (every case with LSTM_TEST_ALL_SUBPROCESS=1) as `python -m lstm_cli`,
    a few at a time."""
    every = os.environ.get("LSTM_TEST_ALL_SUBPROCESS") == "1"
    cases = [case for case in CASES if every or case.sub]
    running: list[tuple[Case, Path, subprocess.Popen]] = []
    for case in cases:
        directory = tmp_path / case.id
        directory.mkdir()
        case.write(directory, checkpoints)
        running.append((case, directory, start_subprocess(
            *case.argv, cwd=directory, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True)))
        if len(running) >= 4:
            _finish(running.pop(0))
    while running:
        _finish(running.pop(0))


def _finish(item: tuple[Case, Path, subprocess.Popen]) -> None:
    case, directory, process = item
    output, _ = process.communicate(timeout=120)
    check(case, process.returncode, output, directory)


def test_a_file_without_a_label_column_is_refused(tmp_path, cli, monkeypatch):
    case = conll_case("data-one-column", "paris\nnews\n\nobama\n\n", ["bad.txt:1", "label"],
                      **{"data.dev": None})
    case.write(tmp_path, {})
    monkeypatch.chdir(tmp_path)
    result = cli(*case.argv)
    check(case, result.code, result.output, tmp_path)
