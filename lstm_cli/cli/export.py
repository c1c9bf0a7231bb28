"""`lstm export CHECKPOINT OUT.npz --format torch`: weights under PyTorch state_dict names."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from lstm_cli import fsutil
from lstm_cli.cli.main import app
from lstm_cli.errors import LstmError

if TYPE_CHECKING:                    # imported where used, so that `export --help` is fast
    import numpy as np

    from lstm_cli.model import TrainedModel


def torch_state(model: TrainedModel) -> dict[str, np.ndarray]:
    """Arrays named as a module with `embedding` (nn.Embedding), `rnn` (nn.LSTM/GRU/RNN) and
    `classifier` (nn.Linear) names them, plus `vocab.tokens` and `vocab.labels`."""
    import numpy as np

    from lstm_cli.engine.export import stack_to_torch

    m = model.config.model
    problems = []
    if m.cell == "lstm" and (m.peepholes or m.variant not in ("vanilla", "NP")
                             or (m.gate_activation, m.cell_activation, m.output_activation)
                             != ("sigmoid", "tanh", "tanh")):
        problems.append("peepholes, LSTM variants and non-default activations")
    if m.features:
        problems.append("extra feature embeddings")
    if model.frame_dim == 0 and not m.embedding.dim:
        problems.append("a model without a token embedding")
    if not model.tagger.output.exportable:
        problems.append(f"the {m.output} output layer")
    if m.input_dropout or m.output_dropout:
        problems.append("input/output dropout layers")
    if problems:
        raise LstmError("PyTorch's nn.Embedding/nn.LSTM/nn.Linear cannot hold this model: "
                        + "; ".join(problems))
    params = model.tagger.named_params()
    rnn = {name[len("rnn."):]: value for name, value in params.items()
           if name.startswith("rnn.")}
    state = {f"rnn.{name}": value for name, value in
             stack_to_torch(rnn, m.cell, m.num_layers, m.bidirectional).items()}
    if "embedding.weight" in params:
        state["embedding.weight"] = params["embedding.weight"]
    state["classifier.weight"] = params["classifier.weight"]
    state["classifier.bias"] = params["classifier.bias"]
    state["vocab.tokens"] = np.array(model.vocabs.tokens.words, dtype=str)
    state["vocab.labels"] = np.array(model.labels, dtype=str)
    return state


@app.command("export")
def export_cli(
    checkpoint: Path = typer.Argument(..., metavar="CHECKPOINT_OR_RUN_DIR"),
    out: Path = typer.Argument(..., metavar="OUT.npz"),
    fmt: str = typer.Option("torch", "--format", help="Only 'torch' for now."),
) -> None:
    """Export weights in PyTorch's state_dict layout and gate order.

    Example: lstm export runs/quickstart model.npz --format torch
    """
    if fmt != "torch":
        raise LstmError(f"--format must be torch, not {fmt!r}")
    import numpy as np

    from lstm_cli.model import load_model

    state = torch_state(load_model(checkpoint))
    buffer = io.BytesIO()
    np.savez(buffer, **state)
    out.parent.mkdir(parents=True, exist_ok=True)
    fsutil.atomic_write_bytes(out, buffer.getvalue())
    typer.echo(f"wrote {out} ({len(state)} arrays)")
