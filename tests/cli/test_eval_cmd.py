"""`lstm eval`: a run directory or a checkpoint, default or given data, JSON and file output."""

from __future__ import annotations

import json

REPORT_KEYS = {"token_accuracy", "sequence_accuracy", "entity", "per_label", "num_sequences",
               "num_tokens", "checkpoint", "data"}


def test_eval_of_a_run_directory_uses_best_and_the_test_set(trained_run, cli):
    result = cli("eval", trained_run["run"], "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert REPORT_KEYS <= report.keys()
    assert report["data"] == str(trained_run["test"])
    assert report["num_sequences"] == 12
    # The same numbers as the report written at the end of training (best checkpoint on test).
    saved = json.loads((trained_run["run"] / "report.json").read_text())
    assert report["token_accuracy"] == saved["token_accuracy"]
    assert report["entity"] == saved["entity"]


def test_eval_of_a_checkpoint_directory_with_data(trained_run, cli):
    last = trained_run["run"] / "checkpoints" / "last"
    result = cli("eval", last, "--data", trained_run["dev"], "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["checkpoint"] == str(last)
    assert report["data"] == str(trained_run["dev"])
    assert 0.0 <= report["token_accuracy"] <= 1.0


def test_eval_with_two_data_files_gives_two_reports(trained_run, cli):
    result = cli("eval", trained_run["run"], "--data", trained_run["dev"],
                 "--data", trained_run["test"], "--json")
    assert result.code == 0
    reports = json.loads(result.out)
    assert [r["data"] for r in reports] == [str(trained_run["dev"]), str(trained_run["test"])]


def test_eval_out_writes_the_report_and_prints_a_table(trained_run, cli, tmp_path):
    out = tmp_path / "reports" / "dev.json"                     # the folder is created
    result = cli("eval", trained_run["run"], "--data", trained_run["dev"], "--out", out)
    assert result.code == 0, result.err
    assert "Token accuracy" in result.out                        # the rich table on stdout
    assert REPORT_KEYS <= json.loads(out.read_text()).keys()


def test_eval_of_a_missing_checkpoint_exits_2(tmp_path, cli):
    result = cli("eval", tmp_path / "nothing")
    assert result.code == 2
    assert "no such checkpoint or run directory" in result.err


def test_eval_scores_labels_training_never_saw_as_errors_and_lists_them(trained_run, cli,
                                                                        tmp_path):
    data = tmp_path / "new-labels.txt"
    data.write_text("paris\tB-LOC\n\nzurich\tB-CITY\n\nbbc\tB-BRAND\nnews\tI-BRAND\n\n")
    result = cli("eval", trained_run["run"], "--data", data, "--json")
    assert result.code == 0, result.err
    assert result.err.count("never seen in training") == 1
    assert "B-BRAND (1 token)" in result.err and "B-CITY (1 token)" in result.err
    report = json.loads(result.out)
    assert report["unseen_labels"] == {"B-BRAND": 1, "B-CITY": 1, "I-BRAND": 1}
    assert report["num_tokens"] == 4 and report["token_accuracy"] <= 0.25
    assert report["entity"]["gold"] == 3               # the LOC, CITY and BRAND chunks
    assert report["entity"]["per_type"]["BRAND"]["correct"] == 0
    assert report["entity"]["per_type"]["CITY"]["correct"] == 0
    assert report["loss"] is not None                  # over the one sequence without them
    table = cli("eval", trained_run["run"], "--data", data).out
    assert "never seen in training" in table and "I-BRAND (1 token)" in table


def test_eval_reports_accuracy_on_seen_and_unseen_words(trained_run, cli):
    result = cli("eval", trained_run["run"], "--data", trained_run["test"], "--json")
    report = json.loads(result.out)
    assert 0 <= report["num_unseen_tokens"] <= report["num_tokens"]
    assert {"seen_token_accuracy", "unseen_token_accuracy"} <= report.keys()
    assert "words unseen in training" in cli("eval", trained_run["run"]).out


def test_baseline_scores_the_most_frequent_tag(tiny, cli):
    result = cli("baseline", tiny["config"], "--json")
    assert result.code == 0, result.err
    reports = json.loads(result.out)
    assert set(reports) == {"dev", "test"}
    assert 0 < reports["test"]["token_accuracy"] <= 1
    assert "Token accuracy" in cli("baseline", tiny["config"]).out


def test_baseline_of_a_ctc_config_exits_2(tiny, cli):
    result = cli("baseline", tiny["config"], "--set", "model.output=ctc")
    assert result.code == 2 and "model.output" in result.err
