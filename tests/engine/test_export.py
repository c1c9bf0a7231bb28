"""PyTorch export: exact round trips of the weight mapping, and an exported model run in torch."""

import numpy as np
import pytest

from lstm_cli.cli.export import torch_state
from lstm_cli.cli.gradcheck import tiny_problem
from lstm_cli.config import Config
from lstm_cli.engine.export import stack_from_torch, stack_to_torch
from lstm_cli.engine.recurrent import RecurrentStack
from lstm_cli.model import TrainedModel, build_model
from tests import support

SHAPES = [(cell, layers, bi) for cell in ("lstm", "gru", "rnn") for layers in (1, 2)
          for bi in (False, True)]
SHAPE_IDS = [f"{cell}-{layers}layer-{'bi' if bi else 'uni'}" for cell, layers, bi in SHAPES]


def random_stack(cell: str, layers: int, bidirectional: bool, seed: int = 0) -> RecurrentStack:
    """A float64 3 -> 4 stack whose every parameter (biases included) is random."""
    return support.random_stack(cell, 3, 4, np.random.default_rng(seed), layers=layers,
                                bidirectional=bidirectional, scale=1.0)


@pytest.mark.parametrize("cell,layers,bidirectional", SHAPES, ids=SHAPE_IDS)
def test_to_torch_then_back_is_exact(cell, layers, bidirectional):
    params = random_stack(cell, layers, bidirectional).named_params()
    state = stack_to_torch(params, cell, layers, bidirectional)
    back = stack_from_torch(state, cell, layers, bidirectional, dtype=np.float64)
    assert set(back) == set(params)
    for name, value in params.items():
        np.testing.assert_array_equal(back[name], value, err_msg=name)


@pytest.mark.parametrize("cell,layers,bidirectional", SHAPES, ids=SHAPE_IDS)
def test_torch_names_and_shapes(cell, layers, bidirectional):
    state = stack_to_torch(random_stack(cell, layers, bidirectional).named_params(), cell,
                           layers, bidirectional)
    gates = {"lstm": 4, "gru": 3, "rnn": 1}[cell] * 4
    suffixes = [f"l{k}{rev}" for k in range(layers) for rev in ("", "_reverse")[:1 + bidirectional]]
    assert set(state) == {f"{kind}_{suffix}" for suffix in suffixes
                          for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    assert state["weight_ih_l0"].shape == (gates, 3)
    assert state["weight_hh_l0"].shape == (gates, 4)
    assert state["bias_hh_l0"].shape == (gates,)


def test_lstm_gates_are_reordered_for_torch():
    params = random_stack("lstm", 1, False).named_params()
    ours = np.split(params["l0.fwd.w_input"], 4)           # [i | f | o | g]
    theirs = np.split(stack_to_torch(params, "lstm", 1, False)["weight_ih_l0"], 4)  # [i f g o]
    for their_gate, our_gate in enumerate((0, 1, 3, 2)):
        np.testing.assert_array_equal(ours[our_gate], theirs[their_gate])


def tiny_model(cell: str, layers: int, bidirectional: bool, seed: int):
    """A small random float64 tagger (token embedding → stack → linear) and a ragged batch."""
    config = Config()
    model = config.model
    model.cell, model.num_layers, model.bidirectional = cell, layers, bidirectional
    model.hidden_size, model.embedding.dim, model.dtype = 5, 4, "float64"
    rng = np.random.default_rng(seed)
    vocabs, batch = tiny_problem(config, rng)
    tagger = build_model(config, vocabs, rng=rng)
    for value in tagger.named_params().values():
        value += rng.uniform(-0.3, 0.3, value.shape)
    tagger.named_params()["embedding.weight"][0] = 0
    return TrainedModel(config, vocabs, tagger), batch


@pytest.mark.parametrize("cell,layers,bidirectional", SHAPES, ids=SHAPE_IDS)
def test_exported_state_loads_into_torch_and_gives_the_same_scores(cell, layers, bidirectional):
    torch = pytest.importorskip("torch")
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    trained, batch = tiny_model(cell, layers, bidirectional, seed=layers + 2 * bidirectional)
    state = torch_state(trained)
    assert list(state["vocab.labels"]) == trained.labels
    rnn_class = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell]
    module = torch.nn.Module()
    module.embedding = torch.nn.Embedding(len(trained.vocabs.tokens), 4, padding_idx=0)
    module.rnn = rnn_class(4, 5, num_layers=layers, bidirectional=bidirectional)
    module.classifier = torch.nn.Linear(5 * (1 + bidirectional), len(trained.labels))
    module.double()
    module.load_state_dict({name: torch.tensor(value) for name, value in state.items()
                            if not name.startswith("vocab.")}, strict=True)

    with torch.no_grad():
        vectors = module.embedding(torch.tensor(batch.token_ids))
        packed = pack_padded_sequence(vectors, torch.tensor(batch.lengths))
        hidden, _ = pad_packed_sequence(module.rnn(packed)[0])
        theirs = module.classifier(hidden).numpy()
    ours, _ = trained.tagger.scores(batch)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-9)
