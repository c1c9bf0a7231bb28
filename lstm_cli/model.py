"""A trained model as a user sees it: config + vocabularies + the engine's SequenceTagger.

`build_model` turns a validated config and the training vocabularies into an engine model;
`save_model` / `load_model` put it in a checkpoint directory (arrays.npz + meta.json, no pickle)
and back, so `lstm eval`, `lstm predict` and `lstm export` need nothing but the checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from lstm_cli.checkpoint import Checkpoint, load_checkpoint, resolve_checkpoint
from lstm_cli.config import Config, config_from_dict
from lstm_cli.data.encoding import WordTypeCache
from lstm_cli.data.schemes import crf_constraints, detect_scheme
from lstm_cli.data.vocab import Vocabs
from lstm_cli.engine.backend import resolve_dtype
from lstm_cli.engine.cells import CELLS
from lstm_cli.engine.tagger import SequenceTagger
from lstm_cli.errors import CheckpointError, ConfigError

# The checkpoint key of what the data format keeps beside the weights (a tokeniser's
# lexicons: `data.dataset.Format.model_data`); absent for formats that keep nothing.
FORMAT_DATA = "format_data"


@dataclass
class TrainedModel:
    """What every command after training works with."""

    config: Config
    vocabs: Vocabs
    tagger: SequenceTagger
    frame_dim: int = 0
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return self.vocabs.labels.labels

    @cached_property
    def word_types(self) -> WordTypeCache:
        """Token, affix and character ids by word type, for as long as the model is loaded."""
        return WordTypeCache(self.vocabs)


def cell_options(config: Config) -> dict[str, Any]:
    """The engine's keyword options for the configured cell: the initialisers, and the
    `model.<key>` values of the options the cell's class names (`Cell.config_options`)."""
    model = config.model
    options: dict[str, Any] = {"init_input": model.init.input,
                               "init_recurrent": model.init.recurrent,
                               "init_scale": model.init.scale}
    options.update((option, getattr(model, key))
                   for option, key in CELLS[model.cell].config_options)
    return options


def output_options(config: Config, labels: list[str]) -> dict[str, Any]:
    """The engine's keyword options for the configured output layer: the keys of its config
    section, with `constraints` (a CRF's) turned into the moves the label scheme allows, and
    `model.class_weights` in label order for a layer that takes them."""
    model = config.model
    options = model.output_section()
    if options.pop("constraints", False):
        scheme = detect_scheme(labels)
        options["allowed"] = crf_constraints(labels, scheme) if scheme else None
    if model.class_weights is None or not model.output_layer.class_weighted:
        return options
    unknown = sorted(set(model.class_weights) - set(labels))
    if unknown:
        raise ConfigError(f"model.class_weights names labels not in the training data: "
                          f"{', '.join(unknown)}")
    return {**options,
            "class_weights": [model.class_weights.get(label, 1.0) for label in labels]}


def char_options(config: Config, vocabs: Vocabs) -> dict[str, Any] | None:
    """The engine's character-encoder spec (see `make_char_encoder`), None without one."""
    chars = config.model.chars
    if vocabs.chars is None:
        return None
    spec: dict[str, Any] = {"encoder": chars.encoder, "num_chars": len(vocabs.chars),
                            "dim": chars.dim}
    if chars.encoder == "cnn":
        spec.update(filters=chars.filters, width=chars.width, activation=chars.activation)
    else:
        spec["hidden_size"] = chars.hidden_size
    return spec


def build_model(config: Config, vocabs: Vocabs, *, rng: np.random.Generator,
                frame_dim: int = 0, pretrained: np.ndarray | None = None) -> SequenceTagger:
    """A freshly initialised engine model for this config and these vocabularies."""
    model = config.model
    labels = vocabs.labels.labels
    uses_tokens = frame_dim == 0
    embedding_dim = model.embedding.dim if uses_tokens else 0
    if pretrained is not None and pretrained.shape[1] != embedding_dim:
        raise ConfigError(f"model.embedding.dim is {embedding_dim} but the pretrained vectors "
                          f"have {pretrained.shape[1]} dimensions",
                          hint=f"set model.embedding.dim={pretrained.shape[1]}")
    features = {}
    for name, vocab in vocabs.features.items():
        if name not in model.features:
            raise ConfigError(f"data.feature_columns names feature '{name}' but model.features "
                              f"gives it no embedding size", hint=f"add model.features.{name}: 16")
        features[name] = (len(vocab), model.features[name])
    for name, vocab in vocabs.affixes.items():
        if name in features:
            raise ConfigError(f"data.feature_columns names feature '{name}', which model.affixes "
                              f"also derives from the tokens", hint="rename the column")
        features[name] = (len(vocab), model.affixes.dim)
    tagger = SequenceTagger(
        num_labels=len(labels), rng=rng, dtype=resolve_dtype(model.dtype),
        vocab_size=len(vocabs.tokens), embedding_dim=embedding_dim, pretrained=pretrained,
        freeze_embedding=model.embedding.freeze, features=features, frame_dim=frame_dim,
        chars=char_options(config, vocabs) if uses_tokens else None,
        cell=model.cell, hidden_size=model.hidden_size, num_layers=model.num_layers,
        bidirectional=model.bidirectional, dropout=model.dropout,
        input_dropout=model.input_dropout, output_dropout=model.output_dropout,
        output=model.output, output_options=output_options(config, labels),
        cell_options=cell_options(config))
    if model.cell == "lstm":
        set_gate_biases(tagger, input=model.input_bias, output=model.output_bias)
    return tagger


def set_gate_biases(tagger: SequenceTagger, **gates: float) -> None:
    """Set the initial bias of the LSTM gates named by keyword (`input`, `output`) in every
    recurrent layer. The cells start these at 0 (and the forget gate at `forget_bias`);
    Hochreiter & Schmidhuber (1997) start input gates closed (negative biases), so cells are not
    filled with distractor inputs before they learn what to store."""
    names = {"input": "i", "output": "o", "forget": "f"}
    for units in tagger.rnn.layers:
        for unit in units:
            cell = unit.cell
            for gate, value in gates.items():
                if names[gate] in cell.gate_names:
                    cell.gate(cell.params["bias"], names[gate])[:] = value


def model_meta(model: TrainedModel) -> dict[str, Any]:
    """The JSON part of a checkpoint that rebuilds the model (with its `FORMAT_DATA`, if any)."""
    meta = {"config": model.config.to_dict(), "vocabs": model.vocabs.to_dict(),
            "frame_dim": model.frame_dim}
    if FORMAT_DATA in model.meta:
        meta[FORMAT_DATA] = model.meta[FORMAT_DATA]
    return meta


def model_from_checkpoint(checkpoint: Checkpoint) -> TrainedModel:
    """Rebuild the model saved in a loaded checkpoint, weights included."""
    meta = checkpoint.meta
    try:        # a model lstm saved was built once from this meta: a failure here is the file's
        config = config_from_dict(meta["config"])
        vocabs = Vocabs.from_dict(meta["vocabs"])
        frame_dim = int(meta.get("frame_dim", 0))
        # The initial weights are overwritten below. One BLAS thread: OpenBLAS's threaded QR (the
        # orthogonal init) took about 1 s per 200 × 200 block on a busy 2-core machine, 2 ms on
        # one.
        with threadpool_limits(1):
            tagger = build_model(config, vocabs, rng=np.random.default_rng(0),
                                 frame_dim=frame_dim)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError,
            ConfigError) as error:
        raise CheckpointError(f"meta.json does not describe a model ({error})",
                              path=checkpoint.path) from None
    params = tagger.named_params()
    missing = sorted(set(params) - set(checkpoint.params))
    extra = sorted(set(checkpoint.params) - set(params))
    if missing or extra:
        raise CheckpointError(f"arrays do not match the model in meta.json (missing: "
                              f"{missing[:3]}, unexpected: {extra[:3]})", path=checkpoint.path)
    for name, value in params.items():
        saved = checkpoint.params[name]
        if saved.shape != value.shape:
            raise CheckpointError(f"array '{name}' has shape {saved.shape}, the model needs "
                                  f"{value.shape}", path=checkpoint.path)
        value[...] = saved
    return TrainedModel(config, vocabs, tagger, frame_dim, meta)


def load_model(path: str | Path) -> TrainedModel:
    """A checkpoint directory, or a run directory (its best checkpoint), as a TrainedModel."""
    return model_from_checkpoint(load_checkpoint(resolve_checkpoint(path), training_state=False))
