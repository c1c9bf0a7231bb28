"""PNG figures: learning curves of runs (`lstm report --plot`), a confusion matrix (`lstm eval
--plot`). matplotlib is the optional extra `lstm-cli[plot]`; it is imported here only, with the Agg
backend, so no display is needed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lstm_cli import fsutil
from lstm_cli.errors import LstmError

MAX_LEGEND_ENTRIES = 20
MAX_ANNOTATED_LABELS = 25


def require_matplotlib() -> Any:
    """`matplotlib.pyplot` on the Agg backend, or an LstmError saying how to install it."""
    try:
        import matplotlib
    except ImportError:
        raise LstmError("--plot needs matplotlib, which is not installed",
                        hint="pip install 'lstm-cli[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _save(figure: Any, path: Path) -> None:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    try:
        fsutil.atomic_write_bytes(path, buffer.getvalue())
    except OSError as error:
        raise LstmError(f"cannot write the plot ({error.strerror})", path=path) from None


@dataclass
class Curve:
    """One run's learning curve: train loss per epoch, and its dev metric where it has one."""

    label: str
    epochs: list[int]
    train_loss: list[float]
    dev_epochs: list[int]
    dev_values: list[float]
    metric: str


def plot_learning_curves(curves: list[Curve], path: Path) -> None:
    """Train loss and dev metric per epoch, one line (one colour) per run; the dev panel is
    left out when no run has dev data."""
    plt = require_matplotlib()
    has_dev = any(curve.dev_epochs for curve in curves)
    figure, axes = plt.subplots(1, 2 if has_dev else 1, figsize=(12 if has_dev else 7, 4.5),
                                squeeze=False)
    loss_axis, last_axis = axes[0][0], axes[0][-1]
    for curve in curves:
        line, = loss_axis.plot(curve.epochs, curve.train_loss, marker=".", label=curve.label)
        if has_dev:
            last_axis.plot(curve.dev_epochs, curve.dev_values, marker=".",
                           color=line.get_color(), label=curve.label)
    loss_axis.set(title="train loss", xlabel="epoch", ylabel="loss")
    if has_dev:
        metrics = " / ".join(sorted({curve.metric for curve in curves if curve.dev_epochs}))
        last_axis.set(title=f"dev {metrics}", xlabel="epoch", ylabel=metrics)
    for axis in axes[0]:
        axis.grid(alpha=0.3)
        axis.xaxis.get_major_locator().set_params(integer=True)
    if len(curves) <= MAX_LEGEND_ENTRIES:
        last_axis.legend(fontsize="small")
    figure.tight_layout()
    _save(figure, path)
    plt.close(figure)


def plot_confusion(report: dict[str, Any], path: Path, *, title: str | None = None) -> None:
    """The confusion matrix of an evaluation report as a heatmap: rows gold, columns predicted,
    colour the share of each gold label, counts written in the cells."""
    plt = require_matplotlib()
    if "confusion" not in report:
        raise LstmError("this report has no confusion matrix (CTC output)",
                        hint="drop --plot")
    import numpy as np

    labels = report["confusion"]["labels"]
    counts = np.asarray(report["confusion"]["matrix"], dtype=float)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    size = max(4.0, 0.45 * len(labels) + 2.5)
    figure, axis = plt.subplots(figsize=(size + 1, size))
    image = axis.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    axis.set_xticks(range(len(labels)), labels, rotation=90)
    axis.set_yticks(range(len(labels)), labels)
    axis.set(xlabel="predicted", ylabel="gold", title=title or "confusion matrix")
    if len(labels) <= MAX_ANNOTATED_LABELS:
        for gold, row in enumerate(counts):
            for predicted, count in enumerate(row):
                if count:
                    axis.text(predicted, gold, f"{int(count)}", ha="center", va="center",
                              fontsize="x-small",
                              color="white" if shares[gold, predicted] > 0.5 else "black")
    figure.colorbar(image, ax=axis, fraction=0.046, pad=0.04, label="share of gold label")
    figure.tight_layout()
    _save(figure, path)
    plt.close(figure)
