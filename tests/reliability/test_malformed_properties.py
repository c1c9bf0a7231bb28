"""Generated malformed inputs, apart from the corpus in test_malformed_inputs.py: each example
breaks a good file in a way that makes it certainly wrong (an undecodable byte, a line with
another column count, a truncated JSON object, a NaN, a broken array layout, a bad vector, a
config value YAML cannot hold) and runs `lstm train`, `lstm eval` or `lstm predict` on it
in-process. Every one must exit 2 with one `error:` line naming the file, and no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tests.properties import YAML_SNIPPETS

from .helpers import GOOD_DEV, GOOD_TRAIN, config_yaml, npz_bytes

GOOD_LINES = GOOD_TRAIN.splitlines(keepends=True)
TOKEN_LINES = [i for i, line in enumerate(GOOD_LINES) if line.strip()]
BAD_BYTES = [b"\xff", b"\xc3(", b"\xed\xa0\x80", b"\x80", b"\xf8\x88\x80\x80\x80"]


@st.composite
def broken_conll(draw: st.DrawFn,
                 faults: tuple[str, ...] = ("byte", "column", "empty-field", "nothing")) -> bytes:
    """GOOD_TRAIN with one certain fault (of `faults`)."""
    lines = list(GOOD_LINES)
    at = draw(st.sampled_from(TOKEN_LINES))
    fault = draw(st.sampled_from(faults))
    if fault == "byte":
        text = lines[at].encode()
        cut = draw(st.integers(0, len(text)))
        lines[at] = text[:cut] + draw(st.sampled_from(BAD_BYTES)) + text[cut:]
    elif fault == "column":
        token, label = lines[at].split()
        extra = draw(st.sampled_from(["X", "1", "B-LOC", "x y"]))
        lines[at] = f"{token}\t{extra}\t{label}\n"
    elif fault == "empty-field":
        token, label = lines[at].split()
        lines[at] = f"{token}\t \t{label}\n"
    else:
        lines = [draw(st.sampled_from(["\n", " \n", "\t\n", "\r\n", "\ufeff\n"]))
                 for _ in range(draw(st.integers(0, 3)))]
    return b"".join(line if isinstance(line, bytes) else line.encode() for line in lines)


def good_jsonl_records() -> list[dict]:
    sequences = [block.splitlines() for block in GOOD_TRAIN.strip().split("\n\n")]
    return [{"tokens": [row.split("\t")[0] for row in rows],
             "labels": [row.split("\t")[1] for row in rows]} for rows in sequences]


@st.composite
def broken_jsonl(draw: st.DrawFn) -> bytes:
    """Good JSON Lines with one line made certainly wrong."""
    lines = [json.dumps(record) for record in good_jsonl_records()]
    at = draw(st.integers(0, len(lines) - 1))
    record = json.loads(lines[at])
    fault = draw(st.sampled_from(["truncated", "not-an-object", "short-labels", "nan",
                                  "surrogate", "deep", "digits", "byte"]))
    if fault == "truncated":
        lines[at] = lines[at][:draw(st.integers(1, len(lines[at]) - 1))]
    elif fault == "not-an-object":
        lines[at] = draw(st.sampled_from(["[1, 2]", "3", '"tokens"', "null", "true"]))
    elif fault == "short-labels":
        record["labels"] = record["labels"][:-1]
        lines[at] = json.dumps(record)
    elif fault == "nan":
        record["values"] = [draw(st.sampled_from(["NaN", "Infinity", "-Infinity"]))] * len(
            record["tokens"])
        lines[at] = json.dumps(record).replace('"NaN"', "NaN").replace(
            '"Infinity"', "Infinity").replace('"-Infinity"', "-Infinity")
        lines = [line if i == at else json.dumps({**json.loads(line), "values": [0.0] * len(
            json.loads(line)["tokens"])}) for i, line in enumerate(lines)]
    elif fault == "surrogate":
        lines[at] = lines[at].replace('"tokens": ["', '"tokens": ["\\ud800', 1)
    elif fault == "deep":
        lines[at] = "[" * draw(st.integers(2000, 20000))
    elif fault == "digits":
        lines[at] = lines[at][:-1] + ', "value": ' + "9" * 5000 + "}"
    else:
        lines[at] = lines[at].encode().replace(b"[", draw(st.sampled_from(BAD_BYTES)) + b"[", 1)
    return b"".join(line if isinstance(line, bytes) else line.encode() for line in
                    [*(f"{line}\n" if isinstance(line, str) else line + b"\n" for line in lines)])


@st.composite
def broken_dense(draw: st.DrawFn) -> bytes:
    """A dense archive with one certain fault in its layout."""
    x, lengths, y = np.ones((5, 2)), np.array([2, 3]), np.array(["a", "b", "a", "b", "a"])
    fault = draw(st.sampled_from(["lengths-sum", "nan", "y-count", "no-x", "2d-lengths",
                                  "zero-length", "wrapping", "bytes"]))
    if fault == "bytes":
        good = bytearray(npz_bytes(x=x, lengths=lengths, y=y))
        cut = draw(st.integers(1, len(good) - 1))
        return bytes(good[:cut])
    arrays = {"x": x, "lengths": lengths, "y": y}
    if fault == "lengths-sum":
        arrays["lengths"] = np.array([2, draw(st.sampled_from([2, 4, 40]))])
    elif fault == "nan":
        arrays["x"] = x.copy()
        arrays["x"][draw(st.integers(0, 4)), 1] = draw(st.sampled_from([np.nan, np.inf]))
    elif fault == "y-count":
        arrays["y"] = y[:-1]
    elif fault == "no-x":
        del arrays["x"]
    elif fault == "2d-lengths":
        arrays["lengths"] = lengths[None]
    elif fault == "zero-length":
        arrays["lengths"] = np.array([0, 5])
    else:
        arrays.update(x=np.ones((0, 2)), lengths=np.array([2**64 - 1, 1], dtype=np.uint64),
                      y=np.array([], dtype=str))
    return npz_bytes(**arrays)


@st.composite
def broken_vectors(draw: st.DrawFn) -> bytes:
    """Word vectors of dimension 8 (as the config asks) with one certain fault."""
    rows = [f"{word} " + " ".join(["0.1"] * 8) for word in ("the", "news", "paris")]
    at = draw(st.integers(0, len(rows) - 1))
    fault = draw(st.sampled_from(["value", "count", "header"]))
    if fault == "value":
        bad = draw(st.sampled_from(["nan", "inf", "1e999", "x", "1,5", "0x1"]))
        rows[at] = rows[at].rsplit(" ", 1)[0] + f" {bad}"
    elif fault == "count":
        rows[at] += " 0.1" * draw(st.integers(1, 3))
    else:
        rows.insert(0, draw(st.sampled_from(["3 7", "4 8", "2 8"])))
    return "".join(f"{row}\n" for row in rows).encode()


@st.composite
def broken_config(draw: st.DrawFn) -> bytes:
    """The good config with one value YAML cannot hold, or a key given twice."""
    lines = config_yaml(**{"data.train": "train.txt", "data.dev": "dev.txt"}).splitlines()
    at = draw(st.sampled_from([i for i, line in enumerate(lines) if line.endswith(
        (": 0", ": 8", ": 1", ": 4"))]))
    key = lines[at].split(":")[0]
    if draw(st.booleans()):
        snippet = draw(st.sampled_from([s for s in YAML_SNIPPETS if s.startswith(
            ("!!float", "!!int", "!!bool", "!!timestamp", "2001-02-30", "9" * 10, "[1, 2",
             "'unterminated", "*undefined", "&a [*a]"))]))
        lines[at] = f"{key}: {snippet}"
    else:
        lines.insert(at, lines[at])
    return ("\n".join(lines) + "\n").encode()


FAULTS = {
    "train-conll": broken_conll(), "dev-conll": broken_conll(), "train-jsonl": broken_jsonl(),
    "train-dense": broken_dense(), "vectors": broken_vectors(), "config": broken_config(),
    "eval-conll": broken_conll(), "predict-conll": broken_conll(),
    "predict-jsonl": broken_jsonl(), "predict-text": broken_conll(faults=("byte",)),
}


def command(kind: str, directory: Path, bad: Path, checkpoint: Path) -> list[str]:
    """Write the good files around `bad` and give the command line that reads it."""
    (directory / "train.txt").write_text(GOOD_TRAIN)
    (directory / "dev.txt").write_text(GOOD_DEV)
    train = ["train", "c.yaml", "--out", "run", "-q"]
    settings = {"data.train": "train.txt", "data.dev": "dev.txt"}
    if kind == "config":
        bad.rename(directory / "c.yaml")
        return train
    if kind == "dev-conll":
        settings["data.dev"] = bad.name
    elif kind == "train-conll":
        settings["data.train"] = bad.name
    elif kind in ("train-jsonl", "train-dense"):
        settings.update({"data.format": kind.split("-")[1], "data.train": bad.name,
                         "data.dev": None})
    elif kind == "vectors":
        settings["model.embedding.pretrained"] = bad.name
    elif kind == "eval-conll":
        return ["eval", checkpoint, "--data", bad]
    elif kind.startswith("predict"):
        return ["predict", checkpoint, bad, "--input-format", kind.split("-")[1]]
    (directory / "c.yaml").write_text(config_yaml(**settings))
    return train


@given(kind=st.sampled_from(sorted(FAULTS)), data=st.data())
def test_generated_malformed_inputs_exit_2_with_one_message(
        kind, data, cli, checkpoints, monkeypatch, tmp_path_factory):
    directory = tmp_path_factory.mktemp(kind)
    monkeypatch.chdir(directory)
    bad = directory / "bad.data"
    bad.write_bytes(data.draw(FAULTS[kind], label=kind))
    argv = command(kind, directory, bad, checkpoints["plain"])
    result = cli(*argv)
    output = result.output
    assert result.code == 2, f"{kind}: exit {result.code}\n{output}"
    assert "Traceback" not in output and "internal error" not in output, output
    message = [line for line in result.err.splitlines() if line.strip()]
    assert len(message) == 1 and message[0].startswith("error: "), output
    named = "c.yaml" if kind == "config" else bad.name
    assert named in message[0], output
