"""`lstm predict`: stdin and files, conll and jsonl output, probabilities, gold, input order."""

from __future__ import annotations

import json

import numpy as np

from .helpers import run_subprocess

SENTENCES = ["show me the latest news from reuters",
             "paris",
             "obama in new york today",
             "news about angela merkel from the bbc in london"]


def read_conll_output(text: str) -> list[list[list[str]]]:
    """Blank-line separated blocks of tab-separated rows."""
    return [[row.split("\t") for row in block.splitlines()]
            for block in text.strip("\n").split("\n\n")]


def test_predict_from_stdin_keeps_input_order(trained_run, cli):
    result = cli("predict", trained_run["run"], "-", stdin="\n".join(SENTENCES) + "\n")
    assert result.code == 0, result.err
    blocks = read_conll_output(result.out)
    assert [[row[0] for row in block] for block in blocks] == [s.split() for s in SENTENCES]
    labels = {"O", "B-LOC", "I-LOC", "B-PER", "I-PER", "B-ORG", "I-ORG"}
    assert all(len(row) == 2 and row[1] in labels for block in blocks for row in block)


def test_predictions_do_not_depend_on_the_other_sequences(trained_run, cli):
    together = cli("predict", trained_run["run"], "-", "--format", "jsonl",
                   stdin="\n".join(SENTENCES) + "\n")
    alone = [cli("predict", trained_run["run"], "-", "--format", "jsonl", stdin=s + "\n")
             for s in SENTENCES]
    assert [_labels_only(line) for line in together.out.splitlines()] == \
        [_labels_only(result.out) for result in alone]


def _labels_only(line: str) -> dict:
    """A JSONL record without what depends on where its sentence is in the input."""
    record = json.loads(line)
    return {key: record[key] for key in ("tokens", "labels", "spans")} | {
        "spans": [{k: v for k, v in span.items() if not k.startswith("char_")}
                  for span in record["spans"]]}


def test_predict_a_text_file_as_jsonl_with_probabilities(trained_run, cli, tmp_path):
    source = tmp_path / "queries.txt"
    source.write_text("\n".join(SENTENCES) + "\n\n")               # a trailing blank line
    labels = json.loads((trained_run["run"] / "checkpoints/best/meta.json").read_text()
                        )["vocabs"]["labels"]["labels"]
    result = cli("predict", trained_run["run"], source, "--format", "jsonl", "--probs")
    assert result.code == 0, result.err
    records = [json.loads(line) for line in result.out.splitlines()]
    assert [r["tokens"] for r in records] == [s.split() for s in SENTENCES]
    for record in records:
        probs = np.array(record["probs"])
        assert probs.shape == (len(record["tokens"]), len(labels))
        np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
        # The predicted label is the most probable one (softmax output decodes by argmax), to
        # the 6 decimals written: a near tie may round either way.
        chosen = probs[np.arange(len(probs)), [labels.index(y) for y in record["labels"]]]
        np.testing.assert_array_less(probs.max(axis=1) - chosen, 1e-6)


def test_predict_conll_probabilities_sum_to_one(trained_run, cli):
    result = cli("predict", trained_run["run"], "-", "--probs", stdin=SENTENCES[0] + "\n")
    assert result.code == 0
    for row in read_conll_output(result.out)[0]:
        assert len(row) == 3
        assert abs(sum(float(p) for p in row[2].split()) - 1.0) < 1e-3


def test_predict_with_gold_on_labelled_conll(trained_run, cli, tmp_path):
    out = tmp_path / "predictions" / "test.conll"
    result = cli("predict", trained_run["run"], trained_run["test"], "--with-gold", "--out", out)
    assert result.code == 0, result.err
    assert result.out == ""
    gold = read_conll_output(trained_run["test"].read_text())
    predicted = read_conll_output(out.read_text())
    assert len(predicted) == len(gold)
    for gold_block, block in zip(gold, predicted, strict=True):
        # token, gold, predicted: the layout conlleval reads.
        assert [row[:2] for row in block] == gold_block
        assert all(len(row) == 3 for row in block)


def test_space_separated_columns_are_read_as_columns_and_word_pairs_as_text(
        trained_run, cli, tmp_path):
    """CoNLL-2000/2003 separate columns by spaces: such a file (no format suffix) is read as
    the model's columns, not as one sentence per line; lines of two plain words stay text."""
    gold = read_conll_output(trained_run["test"].read_text())
    spaced = tmp_path / "test.txt"
    spaced.write_text("\n\n".join("\n".join(" ".join(row) for row in block) for block in gold)
                      + "\n")
    result = cli("predict", trained_run["run"], spaced)
    assert result.code == 0, result.err
    assert [[row[0] for row in block] for block in read_conll_output(result.out)] == \
        [[row[0] for row in block] for block in gold]
    names = tmp_path / "names.txt"
    names.write_text("angela merkel\nbarack obama\nboris johnson\nemmanuel macron\n"
                     "olaf scholz\n")
    result = cli("predict", trained_run["run"], names)
    assert result.code == 0, result.err
    assert [[row[0] for row in block] for block in read_conll_output(result.out)] == \
        [line.split() for line in names.read_text().splitlines()]


def test_predict_with_gold_jsonl_input_and_output(trained_run, cli, tmp_path):
    source = tmp_path / "gold.jsonl"
    source.write_text(json.dumps({"tokens": ["obama", "in", "paris"],
                                  "labels": ["B-PER", "O", "B-LOC"]}) + "\n")
    result = cli("predict", trained_run["run"], source, "--with-gold", "--format", "jsonl")
    assert result.code == 0, result.err
    record = json.loads(result.out)
    assert record["gold"] == ["B-PER", "O", "B-LOC"] and len(record["labels"]) == 3


def test_predict_with_gold_on_plain_text_exits_2(trained_run, cli):
    result = cli("predict", trained_run["run"], "-", "--with-gold", stdin="paris news\n")
    assert result.code == 2
    assert "--with-gold needs gold labels" in result.err


def test_predict_errors_exit_2(trained_run, cli, tmp_path):
    assert "no such checkpoint" in cli("predict", tmp_path / "none", "-", stdin="a\n").err
    missing = cli("predict", trained_run["run"], tmp_path / "missing.txt")
    assert missing.code == 2 and "missing.txt" in missing.err
    bad_format = cli("predict", trained_run["run"], "-", "--format", "xml", stdin="a\n")
    assert bad_format.code == 2 and "--format" in bad_format.err


def test_predict_through_a_real_pipe(trained_run):
    result = run_subprocess("predict", trained_run["run"], "-", "--format", "jsonl",
                            stdin="paris news\nobama\n", cwd=trained_run["dir"])
    assert result.code == 0, result.err
    assert [json.loads(line)["tokens"] for line in result.out.splitlines()] == \
        [["paris", "news"], ["obama"]]


def test_sequence_level_outputs_print_one_line_per_sequence(tmp_path, cli):
    from lstm_cli.data.jsonl import write_jsonl
    from lstm_cli.data.types import Example

    data = tmp_path / "classes.jsonl"
    write_jsonl(data, [Example(tokens=list(word), label="long" if len(word) > 3 else "short")
                       for word in ["ab", "abcde", "abc", "abcdef", "a", "abcd"] * 4])
    config = tmp_path / "config.yaml"
    config.write_text(f"data: {{format: jsonl, train: {data}}}\n"
                      "model: {hidden_size: 4, embedding: {dim: 4}, output: last_softmax}\n"
                      "train: {epochs: 1, batch_size: 8}\n")
    run = tmp_path / "run"
    assert cli("train", config, "--out", run, "-q").code == 0
    result = cli("predict", run, data, "--input-format", "jsonl", "--with-gold")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert len(lines) == 24
    assert all(line.split("\t")[0] in ("long", "short") for line in lines)
    assert lines[0].split("\t")[1] == "short" and lines[1].split("\t")[1] == "long"
