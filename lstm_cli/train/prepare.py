"""What a fresh run reads and builds before its first step: the splits, the vocabularies, the
pretrained embedding matrix, the examples it trains on and the word-dropout table."""

from __future__ import annotations

from typing import Any

import numpy as np

from lstm_cli.config import Config
from lstm_cli.data.affixes import configured_affix_names
from lstm_cli.data.dataset import FORMATS
from lstm_cli.data.prepare import Splits, load_splits, window_spec
from lstm_cli.data.types import Example
from lstm_cli.data.vectors import build_embedding_matrix, read_vectors
from lstm_cli.data.vocab import Vocabs
from lstm_cli.data.windows import make_windows
from lstm_cli.train.runlog import RunLog


def prepare_training_data(config: Config, log: RunLog, rng: np.random.Generator
                          ) -> tuple[Splits, Vocabs, np.ndarray | None, int]:
    """Read the splits and build what a fresh model needs from the training data: the
    vocabularies, the pretrained embedding matrix (or None) and the frame width (0 for tokens)."""
    splits = load_splits(config, warn=log)
    data = config.data
    affixes = config.model.affixes
    frame_dim = 0 if splits.train[0].frames is None else int(splits.train[0].frames.shape[1])
    vocabs = Vocabs.build(splits.train, min_count=data.min_count, lowercase=data.lowercase,
                          digits=data.normalize_digits, chars=config.model.chars.dim > 0,
                          affixes=() if frame_dim else configured_affix_names(affixes),
                          affix_min_count=affixes.min_count,
                          max_word_chars=config.model.chars.max_length)
    pretrained = None
    if config.model.embedding.pretrained:
        vectors = read_vectors(config.model.embedding.pretrained)
        vocabs.tokens.extend(vectors.words)
        pretrained, coverage = build_embedding_matrix(vocabs.tokens, vectors, rng)
        log(f"pretrained vectors {config.model.embedding.pretrained}: {coverage.describe()}")
    return splits, vocabs, pretrained, frame_dim


def format_data(config: Config) -> dict[str, Any]:
    """What the data format keeps in the model's checkpoint (`Format.model_data`), built from
    the whole `data.train` file; nothing for the other formats, for built-in data, or when
    `data.split` cuts dev and test out of that file (they would leak into it)."""
    build = FORMATS[config.data.format].model_data
    if build is None or config.data.train is None or config.data.split is not None:
        return {}
    return build(config.data.train)


def word_dropout_table(config: Config, vocabs: Vocabs, examples) -> np.ndarray | None:
    """P(replace id by <unk>) per token id: α / (count + α) (`model.word_dropout_alpha`, Kiperwasser
    & Goldberg 2016) or a fixed `model.word_dropout` rate; never for <pad> and <unk>."""
    alpha, rate = config.model.word_dropout_alpha, config.model.word_dropout
    if not alpha and not rate:
        return None
    vocab = vocabs.tokens
    if alpha:
        counts = np.zeros(len(vocab))
        np.add.at(counts, np.concatenate([vocab.encode(e.tokens) for e in examples]), 1)
        table = alpha / (counts + alpha)
    else:
        table = np.full(len(vocab), rate)
    table[[vocab.pad_id, vocab.unk_id]] = 0.0
    return table


def training_examples(config: Config, splits: Splits) -> list[Example]:
    """The examples a run trains on: the training split, or its windows with `data.window`."""
    spec = window_spec(config.data)
    if spec is None:
        return splits.train
    return [window.example for window in make_windows(splits.train, spec)]
