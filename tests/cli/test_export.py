"""`lstm export --format torch`: PyTorch state_dict names and shapes, refusals."""

from __future__ import annotations

import json

import numpy as np


def test_export_names_arrays_as_a_pytorch_module_would(trained_run, cli, tmp_path):
    out = tmp_path / "exported" / "model.npz"
    result = cli("export", trained_run["run"], out, "--format", "torch")
    assert result.code == 0, result.err
    with np.load(out, allow_pickle=False) as archive:
        state = {name: archive[name] for name in archive.files}
    hidden, dim = 8, 8                                  # tiny_config_dict
    meta = json.loads((trained_run["run"] / "checkpoints/best/meta.json").read_text())
    tokens = ["<pad>", "<unk>", *meta["vocabs"]["tokens"]["words"]]         # ids 0, 1, ...
    labels = meta["vocabs"]["labels"]["labels"]
    expected = {"embedding.weight": (len(tokens), dim),
                "rnn.weight_ih_l0": (4 * hidden, dim), "rnn.weight_hh_l0": (4 * hidden, hidden),
                "rnn.bias_ih_l0": (4 * hidden,), "rnn.bias_hh_l0": (4 * hidden,),
                "rnn.weight_ih_l0_reverse": (4 * hidden, dim),
                "rnn.weight_hh_l0_reverse": (4 * hidden, hidden),
                "rnn.bias_ih_l0_reverse": (4 * hidden,), "rnn.bias_hh_l0_reverse": (4 * hidden,),
                "classifier.weight": (len(labels), 2 * hidden),
                "classifier.bias": (len(labels),),
                "vocab.tokens": (len(tokens),), "vocab.labels": (len(labels),)}
    assert {name: array.shape for name, array in state.items()} == expected
    assert state["vocab.tokens"].tolist() == tokens and state["vocab.labels"].tolist() == labels
    assert state["vocab.labels"].dtype.kind == "U"


def test_export_of_a_gru_checkpoint(tiny, cli):
    run = tiny["dir"] / "gru"
    assert cli("train", tiny["config"], "--out", run, "-q", "--set", "model.cell=gru",
               "--set", "train.epochs=1", "--set", "model.num_layers=2").code == 0
    out = tiny["dir"] / "gru.npz"
    assert cli("export", run / "checkpoints" / "last", out).code == 0
    with np.load(out, allow_pickle=False) as archive:
        assert archive["rnn.weight_ih_l1"].shape == (3 * 8, 2 * 8)
        assert archive["rnn.weight_hh_l1_reverse"].shape == (3 * 8, 8)


def test_export_refuses_a_peephole_model(tiny, cli):
    run = tiny["dir"] / "peep"
    assert cli("train", tiny["config"], "--out", run, "-q", "--set", "model.peepholes=true",
               "--set", "train.epochs=1").code == 0
    result = cli("export", run, tiny["dir"] / "peep.npz")
    assert result.code == 2
    assert "peephole" in result.err
    assert not (tiny["dir"] / "peep.npz").exists()


def test_export_errors_exit_2(trained_run, cli, tmp_path):
    unknown = cli("export", trained_run["run"], tmp_path / "m.npz", "--format", "onnx")
    assert unknown.code == 2 and "torch" in unknown.err
    missing = cli("export", tmp_path / "nothing", tmp_path / "m.npz")
    assert missing.code == 2 and "no such checkpoint" in missing.err
