"""The sequence labeller: input encoders → recurrent stack → linear scores → output layer.

    x_t = [E_tok[w_t] ; chars(w_t) ; E_f1[f1_t] ; … ; frames_t]  inputs, concatenated (T, B, D)
    h_t = RecurrentStack(x)_t                                  (T, B, H or 2H)
    s_t = W_out h_t + b_out                                    label scores           (T, B, C)
    loss, decode: by the output layer (softmax; CRF and CTC plug in the same way)

A batch is any object with the attributes the data batcher gives: `token_ids` [T, B] (or None),
`feature_ids` {name: [T, B]}, `frames` [T, B, D] (or None), `lengths` [B], `mask` [T, B], for a
character encoder `char_ids`, `char_lengths`, `word_index`, and for training `label_ids` [T, B]
(or the output layer's own targets).

Training-time input noise: word dropout replaces token t by <unk> with probability
`word_dropout[id_t]` (a per-id table, e.g. α / (count + α)), then inverted dropout on x_t.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lstm_cli.engine.backend import xp
from lstm_cli.engine.char_cnn import CharCNN
from lstm_cli.engine.chars import CharEncoder, WordEncoder
from lstm_cli.engine.embed import Embedding, Linear
from lstm_cli.engine.module import Module
from lstm_cli.engine.outputs import make_output
from lstm_cli.engine.recurrent import RecurrentStack, dropout

Array = np.ndarray

CHAR_ENCODERS: dict[str, type[WordEncoder]] = {"lstm": CharEncoder, "cnn": CharCNN}


def make_char_encoder(spec: dict[str, Any], *, rng: np.random.Generator,
                      dtype=np.float32) -> WordEncoder:
    """A character encoder from its spec: `encoder` ("lstm" or "cnn"), `num_chars`, `dim` and
    the encoder's own options (lstm: `hidden_size`; cnn: `filters`, `width`, `activation`)."""
    options = dict(spec)
    kind = options.pop("encoder", "lstm")
    try:
        encoder = CHAR_ENCODERS[kind]
    except KeyError:
        raise ValueError(f"unknown character encoder {kind!r}; choose from "
                         f"{sorted(CHAR_ENCODERS)}") from None
    return encoder(rng=rng, dtype=dtype, **options)


class SequenceTagger(Module):
    """Everything between a batch of ids/frames and a loss or a decoded label sequence."""

    def __init__(self, *, num_labels: int, rng: np.random.Generator, dtype=np.float32,
                 vocab_size: int = 0, embedding_dim: int = 0, pretrained: Array | None = None,
                 freeze_embedding: bool = False, features: dict[str, tuple[int, int]] | None = None,
                 chars: dict[str, Any] | None = None,
                 frame_dim: int = 0, cell: str = "lstm", hidden_size: int = 128,
                 num_layers: int = 1, bidirectional: bool = True, dropout: float = 0.0,
                 input_dropout: float = 0.0, output_dropout: float = 0.0,
                 output: str = "softmax", output_options: dict | None = None,
                 cell_options: dict | None = None) -> None:
        super().__init__()
        self.dtype = np.dtype(dtype)
        self.input_dropout = input_dropout
        self.output_dropout = output_dropout
        self.embedding: Embedding | None = None
        size = 0
        if embedding_dim:
            self.embedding = self.add_child("embedding", Embedding(
                vocab_size, embedding_dim, rng=rng, dtype=dtype, pretrained=pretrained,
                frozen=freeze_embedding))
            size += embedding_dim
        self.word_dropout: Array | None = None
        self.chars: WordEncoder | None = None
        if chars is not None:
            self.chars = self.add_child("chars", make_char_encoder(chars, rng=rng, dtype=dtype))
            size += self.chars.output_size
        self.features: dict[str, Embedding] = {}
        for name, (feature_vocab, feature_dim) in (features or {}).items():
            self.features[name] = self.add_child(f"features.{name}", Embedding(
                feature_vocab, feature_dim, rng=rng, dtype=dtype))
            size += feature_dim
        self.frame_dim = frame_dim
        size += frame_dim
        if size == 0:
            raise ValueError("the model has no inputs: give an embedding, features or frames")
        self.input_size = size
        self.rnn = self.add_child("rnn", RecurrentStack(
            cell, size, hidden_size, num_layers=num_layers, bidirectional=bidirectional,
            dropout=dropout, rng=rng, dtype=dtype, **(cell_options or {})))
        self.output = make_output(output, num_labels, dtype=dtype, **(output_options or {}))
        self.add_child(output, self.output)
        self.classifier = self.add_child("classifier", Linear(
            self.rnn.output_size, self.output.num_scores, rng=rng, dtype=dtype))

    @property
    def frozen(self) -> set[str]:
        """Names of parameters the optimiser must leave alone."""
        return {"embedding.weight"} if self.embedding is not None and self.embedding.frozen \
            else set()

    def scores(self, batch, *, train: bool = False, rng: np.random.Generator | None = None,
               keep_tape: bool = True) -> tuple[Array, Callable[[Array], None] | None]:
        """Label scores (T, B, C) and the function that backpropagates ∂L/∂scores to every param;
        without `keep_tape` (evaluation, predict) the same scores and None, the recurrent stack
        and the character encoder keeping nothing for a backward pass, and the first layer's
        input projections computed once per word type where the inputs allow it
        (`word_type_inputs`)."""
        if not keep_tape and not train:
            distinct = self.word_type_inputs(batch)
            if distinct is not None:
                x, rows = distinct
                hidden, _ = self.rnn.forward(x, batch.lengths, keep_tape=False, rows=rows)
                return self.classifier.forward(hidden)[0], None
        parts, input_backwards = [], []
        if self.embedding is not None:
            token_ids = batch.token_ids
            if train and self.word_dropout is not None:
                dropped = rng.random(token_ids.shape) < self.word_dropout[token_ids]
                token_ids = xp.where(dropped, 1, token_ids)             # 1 = <unk>
            vectors, back = self.embedding.forward(token_ids)
            parts.append(vectors)
            input_backwards.append(None if self.embedding.frozen else back)
        if self.chars is not None:
            vectors, back = self.chars.forward(batch.char_ids, batch.char_lengths,
                                               batch.word_index, keep_tape=keep_tape)
            parts.append(vectors.astype(self.dtype, copy=False))
            input_backwards.append(back)
        for name, embedding in self.features.items():
            vectors, back = embedding.forward(batch.feature_ids[name])
            parts.append(vectors)
            input_backwards.append(back)
        if self.frame_dim:
            frames = xp.asarray(batch.frames, dtype=self.dtype)
            parts.append(xp.where(batch.mask[..., None], frames, 0))   # padding never enters
            input_backwards.append(None)
        x = parts[0] if len(parts) == 1 else xp.concatenate(parts, axis=2)
        if train and self.input_dropout > 0:
            x, in_drop_back = dropout(x, self.input_dropout, rng)
        input_grad = any(back is not None for back in input_backwards)   # else ∂L/∂x is unused
        hidden, rnn_back = self.rnn.forward(x, batch.lengths, train=train, rng=rng,
                                            input_grad=input_grad, keep_tape=keep_tape)
        if train and self.output_dropout > 0:
            hidden, out_drop_back = dropout(hidden, self.output_dropout, rng)
        scores, classifier_back = self.classifier.forward(hidden)
        if not keep_tape:
            return scores, None

        def backward(d_scores: Array) -> None:
            d_hidden = classifier_back(d_scores)
            if train and self.output_dropout > 0:
                d_hidden = out_drop_back(d_hidden)
            d_x = rnn_back(d_hidden)
            if d_x is None:
                return
            if train and self.input_dropout > 0:
                d_x = in_drop_back(d_x)
            start = 0
            for part, back in zip(parts, input_backwards, strict=False):
                width = part.shape[2]
                if back is not None:
                    back(d_x[..., start:start + width])
                start += width

        return scores, backward

    def word_type_inputs(self, batch) -> tuple[Array, Array] | None:
        """The input vectors of the batch's U distinct words and the one each step reads:
        (x (U + 1, D), rows (T, B)), row U being what padding reads (the padding ids'); None
        unless every input is a function of the word: a character encoder, no frames, and every
        id the batch gives per token (the word's, each feature's) the same wherever its word
        occurs (affix features are; a feature column of the data need not be)."""
        if self.chars is None or self.frame_dim or batch.word_index is None:
            return None
        count = len(batch.char_lengths)
        rows = xp.where(batch.word_index >= 0, batch.word_index, count)
        lookups = [(self.embedding, batch.token_ids)] if self.embedding is not None else []
        lookups += [(embedding, batch.feature_ids[name])
                    for name, embedding in self.features.items()]
        word_ids = []
        for _, ids in lookups:                    # id of word u = the id of any of its tokens
            per_word = xp.zeros(count + 1, dtype=ids.dtype)
            per_word[rows] = ids
            if not xp.array_equal(per_word[rows], ids):
                return None
            word_ids.append(per_word)
        vectors, _ = self.chars.word_vectors(batch.char_ids, batch.char_lengths, keep_tape=False)
        chars = xp.zeros((count + 1, vectors.shape[1]), dtype=self.dtype)
        chars[:count] = vectors
        parts = [embedding.params["weight"][ids]                 # x_u = [E[w_u] ; chars(u) ;
                 for (embedding, _), ids in zip(lookups, word_ids, strict=True)]  # E_f[f_u] …]
        parts.insert(1 if self.embedding is not None else 0, chars)
        return xp.concatenate(parts, axis=1), rows

    def loss_and_grads(self, batch, *, rng: np.random.Generator | None = None,
                       train: bool = True, observe=None) -> float:
        """Forward, loss and backward on one batch; gradients land in `named_grads()`.
        `observe(scores, batch)`, if given, runs between the loss and the backward pass."""
        scores, backward = self.scores(batch, train=train, rng=rng)
        loss, d_scores = self.output.loss(scores, batch)
        if observe is not None:
            observe(scores, batch)
        backward(d_scores)
        return loss

    def loss(self, batch) -> float:
        """The loss in evaluation mode (no dropout, no gradients)."""
        scores, _ = self.scores(batch, keep_tape=False)
        return self.output.loss(scores, batch)[0]

    def decode(self, batch, *, with_probs: bool = False):
        """Predicted label ids per sequence, in batch order (and per-step label probabilities)."""
        scores, _ = self.scores(batch, keep_tape=False)
        paths = self.output.decode(scores, batch.lengths)
        if not with_probs:
            return paths, None
        return paths, self.output.probabilities(scores, batch.lengths)
