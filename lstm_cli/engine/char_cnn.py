"""Character-CNN word vectors (dos Santos & Zadrozny 2014; Ma & Hovy 2016): a convolution over
each word's characters, max-pooled over the word, becomes part of the word's input vector.

For a word w of n characters <w> c_1 … c_{n−2} </w> (n counts the markers), embedded as
x_0 … x_{n−1}, a convolution of odd width k = 2r + 1 with F filters, W [F, k, dim], b [F]:

    x_s = E[c_s] · [0 ≤ s < n]                       zero outside the word ("same" padding)
    a_t = b + Σ_{j=0}^{k−1} W_j x_{t+j−r}            t = 0 … n−1
        = b + W · [x_{t−r} ; … ; x_{t+r}]            one GEMM over all windows of all words
    y_t = φ(a_t)                                     φ = tanh or relu
    v(w)_f = max_{0 ≤ t < n} y_{t,f}                 (F,)

Backward, with t*_f = argmax_{t<n} y_{t,f} (ties: the first):

    ∂L/∂a_{t,f} = ∂L/∂v_f · φ'(a_{t,f}) · [t = t*_f]
    ∂L/∂W = Σ_t ∂L/∂a_t ⊗ [x_{t−r} ; … ; x_{t+r}]     ∂L/∂b = Σ_t ∂L/∂a_t
    ∂L/∂x_s = Σ_j (∂L/∂a_{s−j+r} W)_j · [0 ≤ s < n]   (the windows folded back)
    ∂L/∂E[c] = Σ_{s: c_s = c} ∂L/∂x_s

A batch holds U distinct words time-major (`char_ids` [L, U], `char_lengths` [U]); positions
past a word's length are masked out of the input, the max and every gradient, so whatever ids
sit there change nothing, and each window reads only its own word's column. The convolution,
activation and max run over the real positions only (listed word by word, so each word's rows
are one segment for `reduceat`), not over the padded L × U grid.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lstm_cli.engine.activations import get_activation
from lstm_cli.engine.backend import xp
from lstm_cli.engine.chars import WordEncoder
from lstm_cli.engine.embed import Embedding
from lstm_cli.engine.module import Module
from lstm_cli.engine.params import init_matrix

Array = np.ndarray


class CharCNN(WordEncoder):
    """Distinct words' characters → max over positions of φ(conv) per token (T, B, filters)."""

    def __init__(self, num_chars: int, dim: int, filters: int = 100, width: int = 3, *,
                 activation: str = "tanh", rng: np.random.Generator,
                 dtype=np.float32) -> None:
        super().__init__()
        if width < 1 or width % 2 == 0:
            raise ValueError(f"the character CNN's width must be odd (centred windows), "
                             f"not {width}")
        if activation not in ("tanh", "relu"):
            raise ValueError(f"the character CNN's activation must be tanh or relu, "
                             f"not {activation!r}")
        self.embedding = self.add_child("embedding", Embedding(num_chars, dim, rng=rng,
                                                               dtype=dtype))
        self.conv = self.add_child("conv", _Conv(dim, filters, width, rng=rng, dtype=dtype))
        self.dim, self.filters, self.width = dim, filters, width
        self.activation = activation
        self.output_size = filters

    def word_vectors(self, char_ids: Array, char_lengths: Array, *, keep_tape: bool = True
                     ) -> tuple[Array, Callable[[Array], None] | None]:
        """v(w) for each distinct word (U, filters) and its backward function (without
        `keep_tape`, None, and t*_f is not searched for)."""
        steps, count = char_ids.shape
        width, dim, filters = self.width, self.dim, self.filters
        reach = width // 2                                                 # r
        act, act_grad = get_activation(self.activation)
        weight = self.conv.params["weight"].reshape(filters, width * dim)  # W as [F, k·dim]
        inside = (xp.arange(steps)[:, None] < char_lengths[None, :])     # [s < n]  (L, U)

        chars, embed_back = self.embedding.forward(char_ids)              # E[c_s]  (L, U, dim)
        chars *= inside[..., None]                                         # x_s, 0 for s ≥ n
        words, times = xp.nonzero(inside.T)          # the real positions (u, t), word by word
        starts = xp.concatenate([[0], xp.cumsum(char_lengths)[:-1]])   # each word's first row
        padded = xp.zeros((steps + 2 * reach, count, dim), dtype=chars.dtype)
        padded[reach:reach + steps] = chars                               # x_s = 0 outside 0…L−1
        windows = xp.empty((len(times), width, dim), dtype=chars.dtype)
        for j in range(width):                                             # windows[t, j]
            windows[:, j] = padded[times + j, words]                       #   = x_{t+j−r}
        windows = windows.reshape(len(times), width * dim)
        y = windows @ weight.T                                             # W · window_t
        y += self.conv.params["bias"]                                      # a_t = … + b
        act(y)                                                             # y_t = φ(a_t)
        vectors = xp.maximum.reduceat(y, starts, axis=0)                   # v_f = max_{t<n} y_t,f
        if not keep_tape:
            return vectors, None
        rows = xp.arange(len(times))[:, None]                              # t*_f: the first row
        best = xp.minimum.reduceat(xp.where(y == vectors[words], rows, len(times)), starts,
                                   axis=0)                                 # reaching the max

        def backward(d_vectors: Array) -> None:
            d_best = act_grad(d_vectors.copy(), vectors, xp.empty_like(vectors))  # ∂L/∂v φ'
            d_a = xp.zeros(y.shape, dtype=d_best.dtype)
            d_a[best, xp.arange(filters)] = d_best                         # only at t = t*_f
            grads = self.conv.grads
            grads["weight"].reshape(filters, width * dim)[...] = d_a.T @ windows  # ∂L/∂W
            xp.sum(d_best, axis=0, out=grads["bias"])                      # ∂L/∂b = Σ_t ∂L/∂a_t
            d_windows = (d_a @ weight).reshape(len(times), width, dim)     # ∂L/∂window_t
            d_padded = xp.zeros_like(padded)
            for j in range(width):                                         # fold the windows
                d_padded[times + j, words] += d_windows[:, j]              # back onto x_s
            d_chars = d_padded[reach:reach + steps]
            d_chars *= inside[..., None]                                   # nothing for s ≥ n
            embed_back(d_chars)                                            # ∂L/∂E

        return vectors, backward


class _Conv(Module):
    """The convolution's parameters: `weight` [filters, width, dim] (Glorot over the window's
    width·dim inputs) and `bias` [filters]; CharCNN computes with them."""

    def __init__(self, dim: int, filters: int, width: int, *, rng: np.random.Generator,
                 dtype=np.float32) -> None:
        super().__init__()
        weight = init_matrix(rng, (filters, width * dim), "glorot", 0.1, dtype)
        self.add_param("weight", weight.reshape(filters, width, dim))
        self.add_param("bias", xp.zeros(filters, dtype=dtype))
