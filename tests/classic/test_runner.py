"""`lstm classic`: the contrast the papers describe, checked rather than assumed — an LSTM solves
embedded Reber and a long-lag temporal-order task within a small budget, an Elman RNN does not
learn the latter at all — plus the summary and the command."""

import json

import pytest

from lstm_cli.classic.runner import RunResult, run_trial, summarise
from lstm_cli.classic.tasks import TASKS
from lstm_cli.cli.main import main


@pytest.mark.slow
def test_lstm_solves_embedded_reber_by_the_1997_criterion():
    result = run_trial(TASKS["embedded-reber"], "lstm", seed=0, budget=12_000)
    assert result.solved, result
    assert result.detail == {"train_strings_solved": 1.0, "test_strings_solved": 1.0}


@pytest.mark.slow
def test_lstm_bridges_the_temporal_order_lag_and_elman_does_not():
    """Quick-scale experiment 6a: X/Y at steps 5–10 and 25–30 of 50–55, classified at the
    end. The Elman net stays at chance (squared error 0.1875 = guessing among 4 classes)."""
    task = TASKS["temporal-order"]
    lstm = run_trial(task, "lstm", seed=0, budget=12_000)
    assert lstm.solved and lstm.detail["recent_correct"] == 1.0, lstm
    elman = run_trial(task, "rnn", seed=0, budget=12_000)
    assert not elman.solved
    assert elman.detail["recent_correct"] == 0.0 and elman.detail["recent_error"] > 0.18


def test_a_run_is_reproducible_from_its_seed():
    first, again = (run_trial(TASKS["adding"], "gru", seed=3, budget=256) for _ in range(2))
    assert (first.sequences, first.detail) == (again.sequences, again.detail)


def test_summary_counts_solved_seeds_and_their_sequences():
    runs = [RunResult("adding", "lstm", 0, True, 900, 1.0, {"recent_correct": 1.0}),
            RunResult("adding", "lstm", 1, True, 300, 3.0, {"recent_correct": 1.0}),
            RunResult("adding", "lstm", 2, False, 1000, 2.0, {"recent_correct": 0.5}),
            RunResult("adding", "rnn", 0, False, 1000, 1.0)]
    lstm, rnn = summarise(runs)
    assert (lstm["solved"], lstm["runs"], lstm["seconds"]) == (2, 3, 2.0)
    assert lstm["sequences"] == {"median": 600, "min": 300, "max": 900}
    assert lstm["score"] == {"name": "recent_correct", "median": 1.0}
    assert (rnn["fraction"], rnn["sequences"], rnn["budget"], rnn["score"]) == \
        (0.0, None, 1000, None)


def test_classic_command_prints_runs_and_summary(capsys):
    code = main(["classic", "--tasks", "temporal-order,parity-sequence", "--cells", "lstm,rnn",
                 "--seeds", "1", "--budget", "64", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert [(r["task"], r["cell"]) for r in out["summary"]] == [
        ("temporal-order", "lstm"), ("temporal-order", "rnn"),
        ("parity-sequence", "lstm"), ("parity-sequence", "rnn")]
    assert all(r["sequences"] == 64 and not r["solved"] for r in out["runs"])


@pytest.mark.parametrize("argv,message", [
    (["--tasks", "xor"], "unknown classic task 'xor'"),
    (["--cells", "lstm,transformer"], "unknown cell 'transformer'"),
])
def test_classic_command_names_unknown_tasks_and_cells(capsys, argv, message):
    assert main(["classic", *argv, "--budget", "1"]) == 2
    assert message in capsys.readouterr().err


def test_a_nan_gradient_without_clipping_stops_the_run_at_its_batch(monkeypatch):
    """With `train.clip_norm: null` the gradient norm is still measured (the runner shares the
    training loop's Updater), so the run stops at the batch whose gradient is NaN, unupdated."""
    from lstm_cli.engine.tagger import SequenceTagger

    original, training_calls = SequenceTagger.scores, []

    def scores(self, batch, *, train=False, rng=None):
        result, backward = original(self, batch, train=train, rng=rng)
        if not train:
            return result, backward
        training_calls.append(1)

        def poisoned(d_scores):
            backward(d_scores)
            if len(training_calls) == 3:
                next(iter(self.named_grads().values())).flat[0] = float("nan")

        return result, poisoned

    monkeypatch.setattr(SequenceTagger, "scores", scores)
    result = run_trial(TASKS["adding"], "lstm", seed=0, budget=10_000,
                       overrides=["train.clip_norm=null"])
    assert result.detail["diverged"] and len(training_calls) == 3
    assert result.sequences == 2 * 32                      # the two good batches of 32
