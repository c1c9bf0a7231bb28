"""Output layers: each turns label scores (T, B, C) into a loss with its gradient, and decodes.

An output layer is an `OutputLayer` (base.py) with `num_scores` (how many scores per step it
reads), `loss(scores, batch) -> (loss, d_scores)`, `decode(scores, lengths) -> [label ids per
sequence]` and `probabilities(scores, lengths) -> [(length, C) per sequence]`, and attributes
that say what it needs and gives (its `targets`, whether windows may cut its sequences, whether
it exports, its config section). `last_softmax` decodes one label id per sequence
(probabilities (1, C)); `regression` decodes real values, (K,) per sequence or (length, K) per
step.

Adding an output layer: one module here, its line in `OUTPUTS`, and (when it has options) its
section in `config.ModelConfig`.
"""

from __future__ import annotations

from lstm_cli.engine.outputs.base import OutputLayer
from lstm_cli.engine.outputs.crf import CRFOutput
from lstm_cli.engine.outputs.ctc import CTCOutput
from lstm_cli.engine.outputs.regression import RegressionOutput
from lstm_cli.engine.outputs.sequence import LastSoftmaxOutput
from lstm_cli.engine.outputs.softmax import SoftmaxOutput

OUTPUTS: dict[str, type[OutputLayer]] = {
    "softmax": SoftmaxOutput, "crf": CRFOutput, "ctc": CTCOutput,
    "last_softmax": LastSoftmaxOutput, "regression": RegressionOutput}
"""`model.output` names and their layers."""


def make_output(kind: str, num_labels: int, **options) -> OutputLayer:
    """Build an output layer by name."""
    try:
        cls = OUTPUTS[kind]
    except KeyError:
        raise ValueError(f"unknown output layer {kind!r}; choose from {sorted(OUTPUTS)}") from None
    return cls(num_labels, **options)
