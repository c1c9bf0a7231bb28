"""Plain text and the Python API: `lstm predict --tokenizer`, jsonl offsets and spans,
`lstm eval --raw-text-from`, and `lstm_cli.load(...).predict / .tag`."""

from __future__ import annotations

import json

import pytest

from lstm_cli.eval.chunks import extract_chunks, score_chunks

TEXT = "Show me news from the bbc. Obama in paris — café!\r\n\r\nMerkel in new york.\n"


def test_the_api_labels_token_lists_with_the_scorers_spans(trained_run):
    from lstm_cli import load

    tagger = load(trained_run["run"])
    sentences = [["obama", "in", "new", "york"], ["news", "from", "the", "bbc", "today"]]
    results = tagger.predict(iter(sentences))                  # any iterable
    assert [r.tokens for r in results] == sentences
    assert tagger.scheme == "IOB2"
    for result in results:
        assert [(s.type, s.start, s.end) for s in result.spans] == extract_chunks(result.labels)
        assert all(s.text == " ".join(result.tokens[s.start:s.end]) for s in result.spans)
        assert result.offsets is None
    labels = [r.labels for r in results]
    assert score_chunks(labels, labels)["found"] == sum(len(r.spans) for r in results)
    assert [r.labels for r in tagger.iter_predict(sentences)] == labels


def test_the_api_tags_raw_text_with_offsets(trained_run):
    from lstm_cli import load

    tagger = load(trained_run["run"])                     # data.tokenizer: whitespace
    results = tagger.tag(TEXT)
    assert [r.tokens for r in results] == [line.split() for line in TEXT.splitlines()
                                           if line.strip()]
    for result in results:
        assert [TEXT[a:b] for a, b in result.offsets] == result.tokens
        for span in result.spans:
            assert TEXT[span.char_start:span.char_end] == span.text
            assert (span.char_start, span.char_end) == (result.offsets[span.start][0],
                                                        result.offsets[span.end - 1][1])
    rule = tagger.tag(TEXT, tokenizer="rule")
    assert [r.tokens[-2:] for r in rule][0] == ["bbc", "."]
    assert all([TEXT[a:b] for a, b in r.offsets] == r.tokens for r in rule)


@pytest.mark.parametrize("tokenizer", ["whitespace", "rule"])
def test_predict_jsonl_offsets_index_the_whole_input(trained_run, cli, tmp_path, tokenizer):
    source = tmp_path / "in.txt"
    source.write_bytes(TEXT.encode("utf-8"))                  # CRLF and non-ASCII kept
    result = cli("predict", trained_run["run"], source, "--format", "jsonl",
                 "--tokenizer", tokenizer)
    assert result.code == 0, result.err
    records = [json.loads(line) for line in result.out.splitlines()]
    assert len(records) == (2 if tokenizer == "whitespace" else 3)
    for record in records:
        assert [TEXT[a:b] for a, b in record["offsets"]] == record["tokens"]
        assert [(s["type"], s["start"], s["end"]) for s in record["spans"]] == \
            extract_chunks(record["labels"])
        assert all(TEXT[s["char_start"]:s["char_end"]] == s["text"] for s in record["spans"])
    stdin = cli("predict", trained_run["run"], "-", "--format", "jsonl", "--tokenizer",
                tokenizer, stdin=TEXT)
    assert [json.loads(line) for line in stdin.out.splitlines()] == records


def test_predict_and_eval_use_a_trained_tokenizer(tokenizer_run, trained_run, cli, tmp_path):
    source = tmp_path / "in.txt"
    source.write_bytes(TEXT.encode("utf-8"))
    result = cli("predict", trained_run["run"], source, "--format", "jsonl",
                 "--tokenizer", tokenizer_run["run"])
    assert result.code == 0, result.err
    for line in result.out.splitlines():
        record = json.loads(line)
        assert [TEXT[a:b] for a, b in record["offsets"]] == record["tokens"]
    scored = cli("eval", tokenizer_run["run"], "--raw-text-from", tokenizer_run["gold"],
                 "--json")
    assert scored.code == 0, scored.err
    report = json.loads(scored.out)
    assert {"tokens", "sentences", "words"} <= set(report) and "upos" not in report
    assert set(report["word_errors"]) == {"by_cause", "top"}


def test_eval_from_raw_text_scores_a_tagger_with_its_tokenizer(tokenizer_run, cli, tmp_path):
    config = {"seed": 0, "data": {"format": "conllu", "train": str(tokenizer_run["gold"]),
                                  "tokenizer": "rule"},
              "model": {"hidden_size": 8, "embedding": {"dim": 8}},
              "train": {"epochs": 2, "batch_size": 4, "threads": 1}}
    (tmp_path / "tagger.yaml").write_text(json.dumps(config), encoding="utf-8")
    assert cli("train", tmp_path / "tagger.yaml", "--out", tmp_path / "tagger", "-q").code == 0
    rule = json.loads(cli("eval", tmp_path / "tagger", "--raw-text-from", tokenizer_run["gold"],
                          "--json").out)
    assert rule["tokenizer"] == "rule" and rule["sentences"]["f1"] == 1.0
    assert 0 <= rule["upos"]["f1"] <= rule["words"]["f1"] == 1.0
    trained = cli("eval", tmp_path / "tagger", "--raw-text-from", tokenizer_run["gold"],
                  "--tokenizer", tokenizer_run["run"])
    assert trained.code == 0, trained.err
    lines = trained.out.splitlines()
    assert [line.split()[0] for line in lines[:4]] == ["tokens", "sentences", "words", "upos"]
    assert lines[4].startswith("word errors by cause")


def test_import_lstm_cli_leaves_the_api_until_load_is_used():
    import subprocess
    import sys

    from tests.support import subprocess_env

    code = ("import sys, lstm_cli; assert 'lstm_cli.api' not in sys.modules; "
            "lstm_cli.load; assert 'lstm_cli.api' in sys.modules")
    assert subprocess.run([sys.executable, "-c", code], env=subprocess_env()).returncode == 0
