"""Weights in PyTorch's layout: nn.LSTM / nn.GRU / nn.RNN state_dict names and gate order.

PyTorch stores, per layer k and direction (suffix `_reverse` for the backward one):

    weight_ih_l{k}  [G·H, I]   weight_hh_l{k}  [G·H, H]   bias_ih_l{k}  [G·H]   bias_hh_l{k}  [G·H]

with gate blocks  LSTM [ i | f | g | o ],  GRU [ r | z | n ],  RNN [ h ].  Ours (cells.py) are
LSTM [ i | f | o | g ] with one bias; GRU [ r | z | n ] with `bias` = b_ih + (b_hr, b_hz, 0) and
`bias_hidden` = b_hn; RNN [ h ] with one bias. Export writes bias_hh as the part we cannot fold:
zeros for LSTM and RNN, (0, 0, b_hn) for the GRU; import folds bias_hh back in.
"""

from __future__ import annotations

import numpy as np

from lstm_cli.engine.backend import xp

TORCH_LSTM_ORDER = (0, 1, 3, 2)   # ours [i f o g] -> torch [i f g o], as block indices


def _blocks(array: np.ndarray, count: int) -> list[np.ndarray]:
    return xp.split(array, count, axis=0)


def _lstm_to_torch(array: np.ndarray) -> np.ndarray:
    blocks = _blocks(array, 4)
    return xp.concatenate([blocks[k] for k in TORCH_LSTM_ORDER])


def _lstm_from_torch(array: np.ndarray) -> np.ndarray:
    i, f, g, o = _blocks(array, 4)
    return xp.concatenate([i, f, o, g])


def _layer_names(num_layers: int, bidirectional: bool):
    for layer in range(num_layers):
        yield layer, "fwd", f"l{layer}"
        if bidirectional:
            yield layer, "bwd", f"l{layer}_reverse"


def stack_to_torch(params: dict[str, np.ndarray], cell: str, num_layers: int,
                   bidirectional: bool) -> dict[str, np.ndarray]:
    """Our stack's parameters (`l0.fwd.w_input`, ...) as a PyTorch RNN state_dict."""
    out = {}
    for layer, direction, suffix in _layer_names(num_layers, bidirectional):
        ours = {name: params[f"l{layer}.{direction}.{name}"]
                for name in ("w_input", "w_hidden", "bias")}
        convert = _lstm_to_torch if cell == "lstm" else xp.array
        out[f"weight_ih_{suffix}"] = convert(ours["w_input"])
        out[f"weight_hh_{suffix}"] = convert(ours["w_hidden"])
        out[f"bias_ih_{suffix}"] = convert(ours["bias"])
        bias_hh = xp.zeros_like(ours["bias"])
        if cell == "gru":
            hidden = bias_hh.shape[0] // 3
            bias_hh[2 * hidden:] = params[f"l{layer}.{direction}.bias_hidden"]
        out[f"bias_hh_{suffix}"] = bias_hh
    return out


def stack_from_torch(state: dict[str, np.ndarray], cell: str, num_layers: int,
                     bidirectional: bool, dtype=np.float32) -> dict[str, np.ndarray]:
    """A PyTorch RNN state_dict as our stack's parameter dict (biases folded as above)."""
    out = {}
    for layer, direction, suffix in _layer_names(num_layers, bidirectional):
        w_ih, w_hh = state[f"weight_ih_{suffix}"], state[f"weight_hh_{suffix}"]
        b_ih = state.get(f"bias_ih_{suffix}", xp.zeros(w_ih.shape[0]))
        b_hh = state.get(f"bias_hh_{suffix}", xp.zeros(w_ih.shape[0]))
        prefix = f"l{layer}.{direction}."
        if cell == "lstm":
            out[prefix + "w_input"] = _lstm_from_torch(w_ih)
            out[prefix + "w_hidden"] = _lstm_from_torch(w_hh)
            out[prefix + "bias"] = _lstm_from_torch(b_ih + b_hh)
        elif cell == "gru":
            hidden = w_hh.shape[1]
            out[prefix + "w_input"], out[prefix + "w_hidden"] = w_ih, w_hh
            bias = xp.array(b_ih, dtype=np.float64)
            bias[:2 * hidden] += b_hh[:2 * hidden]
            out[prefix + "bias"] = bias
            out[prefix + "bias_hidden"] = b_hh[2 * hidden:]
        else:
            out[prefix + "w_input"], out[prefix + "w_hidden"] = w_ih, w_hh
            out[prefix + "bias"] = b_ih + b_hh
    return {name: xp.asarray(value, dtype=dtype) for name, value in out.items()}
