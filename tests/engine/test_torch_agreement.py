"""Our RecurrentStack against PyTorch's nn.LSTM / nn.GRU / nn.RNN on ragged (packed) batches.

The stored fixtures (tests/fixtures/engine/*.npz, written by make_engine_fixtures.py) need no
torch; the live variant builds fresh torch modules of other sizes and is skipped without torch.
Weights go in through `stack_from_torch`; gradients come back through `stack_to_torch`, where
our single bias maps to torch's two: ∂L/∂bias_ih = ∂L/∂bias_hh = ∂L/∂bias for the LSTM and RNN;
for the GRU, ∂L/∂bias_hh = (∂L/∂b_r, ∂L/∂b_z, ∂L/∂bias_hidden) (see engine/export.py).
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from lstm_cli.engine.export import stack_from_torch, stack_to_torch
from lstm_cli.engine.recurrent import RecurrentStack

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FIXTURE_FILES = sorted((FIXTURES / "engine").glob("*.npz"))
TOLERANCE = {"rtol": 1e-6, "atol": 1e-9}


def load_fixture(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as data:
        return dict(data)


def stack_from_case(case: dict[str, np.ndarray]) -> RecurrentStack:
    """Our stack for the case's torch module, its weights imported from the state_dict."""
    cell, layers, bi = str(case["cell"]), int(case["num_layers"]), bool(case["bidirectional"])
    state = {name[len("state."):]: value for name, value in case.items()
             if name.startswith("state.")}
    input_size, hidden_size = state["weight_ih_l0"].shape[1], state["weight_hh_l0"].shape[1]
    options = {"nonlinearity": str(case["nonlinearity"])} if cell == "rnn" else {}
    stack = RecurrentStack(cell, input_size, hidden_size, num_layers=layers, bidirectional=bi,
                           rng=np.random.default_rng(0), dtype=np.float64, **options)
    params = stack.named_params()
    imported = stack_from_torch(state, cell, layers, bi, dtype=np.float64)
    assert set(imported) == set(params)
    for name, value in imported.items():
        params[name][...] = value
    return stack


def torch_layout_grads(stack: RecurrentStack, case: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Our parameter gradients under torch's names, both biases filled in as torch has them."""
    cell, layers, bi = str(case["cell"]), int(case["num_layers"]), bool(case["bidirectional"])
    grads = stack_to_torch(stack.named_grads(), cell, layers, bi)
    for name in [name for name in grads if name.startswith("bias_hh_")]:
        bias_ih = grads[name.replace("bias_hh_", "bias_ih_")]
        if cell == "gru":                        # b_hr, b_hz are folded into `bias`
            rz = 2 * bias_ih.shape[0] // 3
            grads[name] = np.concatenate([bias_ih[:rz], grads[name][rz:]])
        else:
            grads[name] = bias_ih.copy()
    return grads


def assert_agrees_with_torch(case: dict[str, np.ndarray]) -> None:
    stack = stack_from_case(case)
    out, backward = stack.forward(case["x"], case["lengths"])
    d_x = backward(case["d_out"].copy())
    np.testing.assert_allclose(out, case["out"], **TOLERANCE, err_msg="outputs")
    np.testing.assert_allclose(d_x, case["d_x"], **TOLERANCE, err_msg="input gradient")
    ours = torch_layout_grads(stack, case)
    expected = {name[len("grad."):]: value for name, value in case.items()
                if name.startswith("grad.")}
    assert set(ours) == set(expected)
    for name, grad in expected.items():
        np.testing.assert_allclose(ours[name], grad, **TOLERANCE, err_msg=name)


def test_every_fixture_is_present():
    names = {path.stem for path in FIXTURE_FILES}
    assert {"lstm_1layer", "lstm_2layer_bi", "gru_2layer_bi", "rnn_relu_1layer"} <= names
    assert sum(path.stat().st_size for path in FIXTURE_FILES) < 300_000


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=[path.stem for path in FIXTURE_FILES])
def test_outputs_and_gradients_match_stored_torch_results(path):
    assert_agrees_with_torch(load_fixture(path))


def fixture_script():
    """tests/fixtures/make_engine_fixtures.py as a module (it imports torch)."""
    spec = importlib.util.spec_from_file_location(
        "make_engine_fixtures", FIXTURES / "make_engine_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LIVE_CASES = [("lstm", 1, False, "tanh"), ("lstm", 2, True, "tanh"), ("lstm", 3, True, "tanh"),
              ("gru", 1, True, "tanh"), ("gru", 2, False, "tanh"), ("rnn", 2, False, "tanh"),
              ("rnn", 2, True, "relu")]


@pytest.mark.parametrize("cell,layers,bidirectional,nonlinearity", LIVE_CASES)
def test_live_random_torch_modules_agree(cell, layers, bidirectional, nonlinearity):
    pytest.importorskip("torch")
    script = fixture_script()
    case = script.make_case(1000 + layers, cell, layers, bidirectional, nonlinearity,
                            lengths=(3, 7, 7, 2, 5), input_size=5, hidden_size=6)
    assert_agrees_with_torch(case)
