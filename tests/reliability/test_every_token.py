"""Every token of a CoNLL file is trained on, scored by `lstm eval` and labelled by `lstm predict`:
`#`, `# x` and `-DOCSTART-` token lines at every position of a sentence, with and without
`data.comment_prefix`; an empty token field is an error naming its line, never a lost token.
conlleval-style scoring of predict's output agrees with `lstm eval`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lstm_cli.eval.chunks import score_chunks

from .helpers import config_yaml

SENTENCE = [("obama", "NNP", "B-PER"), ("in", "IN", "O"), ("new", "NNP", "B-LOC"),
            ("york", "NNP", "I-LOC")]
# Token lines that have been mistaken for comments or document markers (space- or
# tab-separated: the reader splits on whitespace).
ODD_LINES = ["#\tSYM\tO", "# x O", "#\tSYM\tB-MISC", "-DOCSTART- -X- O", "-DOCSTART-\tNN\tB-ORG"]
COMMENT = "# sent_id = 7"                # four fields: a comment line with comment_prefix "#"


def odd_sentences() -> list[list[str]]:
    """The sentence with each odd line at each position."""
    plain = ["\t".join(row) for row in SENTENCE]
    return [plain[:position] + [odd] + plain[position:]
            for odd in ODD_LINES for position in range(len(plain) + 1)]


def write_file(path: Path, sentences: list[list[str]], *, comments: bool) -> Path:
    """A document marker, then the sentences (each after a comment line if `comments`)."""
    blocks = ["-DOCSTART- -X- O"]
    blocks += ["\n".join(([COMMENT] if comments else []) + lines) for lines in sentences]
    path.write_text("\n\n".join(blocks) + "\n")
    return path


def expected(sentences: list[list[str]]) -> list[list[tuple[str, str]]]:
    """(token, label) per line, read the plain way: first and last whitespace field."""
    return [[(line.split()[0], line.split()[-1]) for line in lines] for lines in sentences]


def read_predictions(text: str) -> list[list[list[str]]]:
    """predict's conll output: tab-separated fields per token, a blank line per sequence."""
    return [[line.split("\t") for line in block.splitlines()]
            for block in text.split("\n\n") if block.strip()]


@pytest.mark.parametrize("comments", [False, True], ids=["no-comments", "comment-prefix"])
def test_odd_token_lines_are_trained_scored_and_predicted(tmp_path, cli, comments):
    sentences = odd_sentences()
    data = write_file(tmp_path / "data.txt", sentences, comments=comments)
    overrides = {"data.train": str(data), "data.dev": str(data), "data.test": str(data),
                 "train.epochs": 2}
    if comments:
        overrides["data.comment_prefix"] = "#"
    (tmp_path / "c.yaml").write_text(config_yaml(**overrides))
    run = tmp_path / "run"
    result = cli("train", tmp_path / "c.yaml", "--out", run, "-q")
    assert result.code == 0, result.err
    gold = expected(sentences)
    tokens = [[token for token, _ in sentence] for sentence in gold]
    total = sum(map(len, tokens))

    result = cli("eval", run, "--data", data, "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["num_sequences"] == len(sentences) and report["num_tokens"] == total
    assert json.loads((run / "report.json").read_text())["num_tokens"] == total

    result = cli("predict", run, data, "--with-gold")    # the same sentences in the same
    assert result.code == 0, result.err                   # batches as eval: the same labels
    rows = read_predictions(result.out)
    assert [[row[0] for row in sentence] for sentence in rows] == tokens
    assert [[(row[0], row[1]) for row in sentence] for sentence in rows] == gold
    predicted = [[row[2] for row in sentence] for sentence in rows]
    chunks = score_chunks([[label for _, label in sentence] for sentence in gold], predicted)
    for key in ("correct", "found", "gold", "f1"):
        assert chunks[key] == report["entity"][key], key
    correct = sum(g == p for sentence, labels in zip(gold, predicted, strict=True)
                  for (_, g), p in zip(sentence, labels, strict=True))
    assert correct / total == report["token_accuracy"]

    result = cli("predict", run, data)                # the format guessed, labels not read
    assert result.code == 0, result.err
    assert [[row[0] for row in sentence] for sentence in read_predictions(result.out)] == tokens
    assert [[row[1] for row in sentence] for sentence in read_predictions(result.out)] == \
        predicted

    text = "\n".join(" ".join(sentence) for sentence in tokens) + "\n"
    result = cli("predict", run, "-", stdin=text)     # plain text keeps every token too
    assert result.code == 0, result.err
    assert [[row[0] for row in sentence] for sentence in read_predictions(result.out)] == tokens


@pytest.mark.parametrize("position", range(len(SENTENCE) + 1))
def test_an_empty_token_field_is_an_error_naming_the_line_in_every_command(tmp_path, cli,
                                                                           trained, position):
    lines = ["\t".join(row) for row in SENTENCE]
    lines.insert(position, "\tSYM\tO")
    bad = tmp_path / "bad.txt"
    bad.write_text("london\tNNP\tB-LOC\n\n" + "\n".join(lines) + "\n")
    where = f"{bad}:{position + 3}"
    (tmp_path / "c.yaml").write_text(config_yaml(**{"data.train": str(bad),
                                                    "data.dev": str(bad)}))
    commands = [("train", tmp_path / "c.yaml", "--out", tmp_path / "run", "-q"),
                ("eval", trained, "--data", bad),
                ("predict", trained, bad), ("predict", trained, bad, "--with-gold")]
    for argv in commands:
        result = cli(*argv)
        assert result.code == 2, (argv, result.output)
        assert where in result.err and "empty or whitespace-only" in result.err, result.err
        assert "Traceback" not in result.err


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """A run trained on the plain sentence."""
    from lstm_cli.cli.main import main

    directory = tmp_path_factory.mktemp("trained")
    data = directory / "data.txt"
    data.write_text("\n".join("\t".join(row) for row in SENTENCE) + "\n")
    (directory / "c.yaml").write_text(config_yaml(**{"data.train": str(data),
                                                     "data.dev": str(data)}))
    assert main(["train", str(directory / "c.yaml"), "--out", str(directory / "run"),
                 "-q"]) == 0
    return directory / "run"
