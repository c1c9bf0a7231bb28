"""Character-aware word vectors (Plank et al. 2016, "w + c"): a BiLSTM reads each word's
characters and its final states become part of the word's input vector.

For a word w with characters <w> c_1 … c_n </w> (embedded as e_1 … e_{n+2}):

    →h = LSTM_fwd(e_1 … e_{n+2})      its last state, after </w>
    ←h = LSTM_bwd(e_{n+2} … e_1)      its last state, after <w> (the output at position 1)
    v(w) = [→h ; ←h]                  (2 × hidden_size)

The encoder runs once per distinct word of a batch (`Batch.char_ids`, [L, U]); every token then
gathers its word's vector through `Batch.word_index` [T, B], and its gradient is summed back.
That token-level part is `WordEncoder.forward`, shared with the character CNN (`char_cnn.py`):
an encoder only says how to turn distinct words' characters into vectors (`word_vectors`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lstm_cli.engine.backend import xp
from lstm_cli.engine.embed import Embedding, scatter_add_rows
from lstm_cli.engine.module import Module
from lstm_cli.engine.recurrent import RecurrentStack

Array = np.ndarray


class WordEncoder(Module):
    """A vector per distinct word of a batch, gathered per token.

        v_u = word_vectors(chars of word u)         (U, output_size)
        x_{t,b} = v_{word_index[t,b]}               0 where word_index is −1 (padding)
        ∂L/∂v_u = Σ_{(t,b): word_index[t,b] = u} ∂L/∂x_{t,b}

    Subclasses set `output_size` and implement `word_vectors`.
    """

    output_size: int

    def word_vectors(self, char_ids: Array, char_lengths: Array, *, keep_tape: bool = True
                     ) -> tuple[Array, Callable[[Array], None] | None]:
        """v(w) for each distinct word (U, output_size) and its backward function (None, and
        nothing kept for it, without `keep_tape`)."""
        raise NotImplementedError

    def forward(self, char_ids: Array, char_lengths: Array, word_index: Array, *,
                keep_tape: bool = True) -> tuple[Array, Callable[[Array], None] | None]:
        """Token vectors (T, B, output_size), zero where `word_index` is −1 (padding), and the
        backward function (None without `keep_tape`)."""
        vectors, words_back = self.word_vectors(char_ids, char_lengths, keep_tape=keep_tape)
        real = word_index >= 0
        tokens = vectors[xp.where(real, word_index, 0)]                  # x_{t,b} = v_{u(t,b)}
        tokens[~real] = 0
        if not keep_tape:
            return tokens, None

        def backward(d_tokens: Array) -> None:
            d_vectors = xp.zeros_like(vectors)
            scatter_add_rows(d_vectors, word_index[real], d_tokens[real])  # ∂L/∂v_u = Σ ∂L/∂x
            words_back(d_vectors)

        return tokens, backward


class CharEncoder(WordEncoder):
    """Distinct words' characters → [→h ; ←h] per token (T, B, 2·hidden_size)."""

    def __init__(self, num_chars: int, dim: int, hidden_size: int, *,
                 rng: np.random.Generator, dtype=np.float32, cell: str = "lstm",
                 **cell_options) -> None:
        super().__init__()
        self.embedding = self.add_child("embedding", Embedding(num_chars, dim, rng=rng,
                                                               dtype=dtype))
        self.rnn = self.add_child("rnn", RecurrentStack(
            cell, dim, hidden_size, bidirectional=True, rng=rng, dtype=dtype, **cell_options))
        self.hidden_size = hidden_size
        self.output_size = 2 * hidden_size

    def word_vectors(self, char_ids: Array, char_lengths: Array, *, keep_tape: bool = True
                     ) -> tuple[Array, Callable[[Array], None] | None]:
        """v(w) for each distinct word (U, 2H) and its backward function."""
        hidden = self.hidden_size
        chars, embed_back = self.embedding.forward(char_ids)             # (L, U, dim)
        outputs, rnn_back = self.rnn.forward(chars, char_lengths,        # (L, U, 2H)
                                             keep_tape=keep_tape)
        words = xp.arange(len(char_lengths))
        last = char_lengths - 1
        vectors = xp.concatenate([outputs[last, words, :hidden], outputs[0, :, hidden:]],
                                 axis=1)
        if not keep_tape:
            return vectors, None

        def backward(d_vectors: Array) -> None:
            d_outputs = xp.zeros_like(outputs)
            d_outputs[last, words, :hidden] = d_vectors[:, :hidden]     # ∂L/∂→h at the end
            d_outputs[0, :, hidden:] = d_vectors[:, hidden:]           # ∂L/∂←h at the start
            embed_back(rnn_back(d_outputs))

        return vectors, backward
