"""Optimisers over named parameters, updated in place.

Parameters are a `dict[str, np.ndarray]` that the model also holds, so every update writes into
the same arrays (`out=`), and each optimiser allocates its state and one scratch buffer per
parameter once, up front. In the equations `g` is the gradient, `p` the parameter, `lr` the rate
passed to `step`, and t counts steps from 1.

Weight decay `wd` (all optimisers): L2, added to the gradient before anything else,
g <- g + wd * p. `adamw` instead decays the parameter itself, outside the adaptive scaling
(Loshchilov & Hutter): p <- p - lr * wd * p, then the Adam step with the raw gradient.

Frozen parameters (`frozen=` names) are neither updated nor given state; their gradients may be
absent from `grads`.

`lazy=True` updates a parameter with a row-sparse gradient (an embedding table; `step`'s `rows`
name the rows its gradient has) in those rows only: their slots and weight decay too, while the
other rows and their state wait untouched (TensorFlow's LazyAdam, PyTorch's SparseAdam; t
still counts every step). SGD without weight decay gives the same result either way; for the
others it is a different, much cheaper optimiser when a batch sees a small part of a vocabulary.

`state_dict` returns slot arrays keyed `<slot>/<param name>` and scalars (`optimizer`, `step`);
`load_state_dict` copies them back so that a resumed run continues bit for bit. Hyperparameters
are not part of the state: they come from the config on resume.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar

import numpy as np

from lstm_cli.checkpoint import OptimizerState
from lstm_cli.engine.backend import xp
from lstm_cli.errors import CheckpointError, ConfigError


def grad_norm(grads: Mapping[str, np.ndarray],
              rows: Mapping[str, np.ndarray] | None = None) -> float:
    """The global L2 norm of `grads`. For the names in `rows` only those rows are read: a
    row-sparse gradient (`Module.named_grad_rows`) is zero everywhere else."""
    rows = rows or {}
    # float() per array sums in float64 across arrays; xp.vdot does not allocate for
    # contiguous arrays.
    return math.sqrt(sum(float(xp.vdot(part, part)) for part in (
        grad[rows[name]] if name in rows else grad for name, grad in grads.items())))


def clip_grad_norm(grads: Mapping[str, np.ndarray], max_norm: float,
                   rows: Mapping[str, np.ndarray] | None = None) -> float:
    """Scale all `grads` in place so their global L2 norm is at most `max_norm`.

    Returns the norm before clipping (`grad_norm`, with the same `rows`). A NaN or infinite norm
    is returned without touching the gradients, so the caller can detect divergence.
    """
    if not max_norm > 0:
        raise ValueError(f"max_norm must be positive, got {max_norm}")
    rows = rows or {}
    total_norm = grad_norm(grads, rows)
    if math.isfinite(total_norm) and total_norm > max_norm:
        scale = max_norm / total_norm
        for name, grad in grads.items():
            if name in rows:
                grad[rows[name]] *= scale
            else:
                grad *= scale
    return total_norm


def _check_range(optimizer: str, option: str, value: float, low: float, high: float,
                 *, high_inclusive: bool = False) -> None:
    inside = low <= value <= high if high_inclusive else low <= value < high
    if not inside:
        closing = "]" if high_inclusive else ")"
        raise ConfigError(f"{optimizer} option {option} must be in [{low}, {high}{closing}, "
                          f"got {value}")


BLOCK = 1 << 16
"""Elements updated at a time. An update is a dozen elementwise passes; over blocks this small
each pass finds its operands in the cache instead of streaming the whole parameter from memory
a dozen times (Adam on a 3.5M-parameter tagger: 24 ms a step whole, 12 ms in blocks). The
arithmetic is elementwise, so the result is the same to the bit."""


def blocks(arrays: list[np.ndarray]) -> Iterator[list[np.ndarray]]:
    """Matching flat blocks of same-shaped C-contiguous arrays (the arrays whole otherwise)."""
    if not all(array.flags.c_contiguous for array in arrays):
        yield arrays
        return
    flat = [array.reshape(-1) for array in arrays]
    for start in range(0, flat[0].size, BLOCK):
        yield [array[start:start + BLOCK] for array in flat]


class BlockScratch:
    """`rows` work arrays for updates done by `blocks`: one buffer of BLOCK elements per row and
    dtype, made on first use and reused by every later block."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.buffers: dict[np.dtype, np.ndarray] = {}

    def like(self, block: np.ndarray) -> np.ndarray:
        """(rows, *block.shape) work space of block's dtype (fresh when block exceeds BLOCK)."""
        if block.size > BLOCK:
            return xp.empty((self.rows, *block.shape), dtype=block.dtype)
        buffer = self.buffers.get(block.dtype)
        if buffer is None:
            buffer = self.buffers[block.dtype] = xp.empty((self.rows, BLOCK), dtype=block.dtype)
        return buffer[:, :block.size].reshape(self.rows, *block.shape)


class Optimizer:
    """Base class: holds the parameters, the frozen set, the step count and per-parameter slots.

    Subclasses set `name` and `slot_names` and implement `_update(p, g, lr, slots, work)`, which
    writes the step into `p` using `slots` (the parameter's state arrays, by slot name) and
    `work` (a scratch array shaped like `p`).
    """

    name: ClassVar[str]
    slot_names: ClassVar[tuple[str, ...]] = ()
    decoupled_weight_decay: ClassVar[bool] = False

    def __init__(self, params: Mapping[str, np.ndarray], *, weight_decay: float = 0.0,
                 frozen: Iterable[str] = (), lazy: bool = False) -> None:
        frozen = set(frozen)
        unknown = sorted(frozen - params.keys())
        if unknown:
            raise ConfigError(f"frozen names unknown parameter(s): {', '.join(unknown)}")
        _check_range(self.name, "weight_decay", weight_decay, 0.0, math.inf)
        self.params = params
        self.weight_decay = weight_decay
        self.frozen = frozenset(frozen)
        self.lazy = lazy
        self.trainable = [name for name in params if name not in self.frozen]
        self.step_count = 0
        self.slots = {slot: {name: xp.zeros_like(params[name]) for name in self.trainable}
                      for slot in self.slot_names}
        self._l2 = weight_decay > 0 and not self.decoupled_weight_decay
        self._scratch = BlockScratch(2)                  # work, decayed gradient

    def step(self, grads: Mapping[str, np.ndarray], lr: float,
             rows: Mapping[str, np.ndarray] | None = None) -> None:
        """Apply one update with learning rate `lr` to every trainable parameter, in place.

        `rows` (used when `lazy`): for parameters whose gradient is non-zero only in some rows,
        those rows' sorted ids (`Module.named_grad_rows`)."""
        for name in self.trainable:  # check everything before changing anything
            if name not in grads:
                raise KeyError(f"no gradient for trainable parameter {name}")
            if grads[name].shape != self.params[name].shape:
                raise ValueError(f"gradient for {name} has shape {grads[name].shape}, "
                                 f"parameter has {self.params[name].shape}")
        self.step_count += 1
        for name in self.trainable:
            arrays = [self.params[name], grads[name],
                      *(self.slots[slot][name] for slot in self.slot_names)]
            index = rows.get(name) if self.lazy and rows else None
            if index is None:
                for block in blocks(arrays):
                    self._update_block(*block, lr=lr)
            else:                     # the rows gathered, updated as one block, written back
                param_rows, grad_rows, *slot_rows = (array[index] for array in arrays)
                self._update_block(param_rows, grad_rows, *slot_rows, lr=lr)
                self.params[name][index] = param_rows
                for slot, updated in zip(self.slot_names, slot_rows, strict=True):
                    self.slots[slot][name][index] = updated

    def _update_block(self, param: np.ndarray, grad: np.ndarray, *slot_blocks: np.ndarray,
                      lr: float) -> None:
        work, decayed = self._scratch.like(param)
        if self._l2:
            xp.multiply(param, self.weight_decay, out=decayed)
            decayed += grad
            grad = decayed
        self._update(param, grad, lr, dict(zip(self.slot_names, slot_blocks, strict=True)), work)

    def _update(self, param: np.ndarray, grad: np.ndarray, lr: float,
                slots: dict[str, np.ndarray], work: np.ndarray) -> None:
        raise NotImplementedError

    def state_dict(self) -> OptimizerState:
        """Copies of the slot arrays (`<slot>/<param name>`) and the scalars `optimizer`, `step`."""
        arrays = {f"{slot}/{name}": array.copy()
                  for slot, by_name in self.slots.items() for name, array in by_name.items()}
        return OptimizerState(arrays, {"optimizer": self.name, "step": self.step_count})

    def load_state_dict(self, arrays: Mapping[str, np.ndarray], scalars: Mapping[str, Any]) -> None:
        """Restore what `state_dict` returned; CheckpointError if it is for another setup."""
        saved_name = scalars.get("optimizer")
        if saved_name != self.name:
            raise CheckpointError(f"checkpoint optimiser state is for {saved_name!r}, "
                                  f"but the config asks for {self.name!r}")
        expected = {f"{slot}/{name}" for slot in self.slot_names for name in self.trainable}
        if set(arrays) != expected:
            missing = sorted(expected - set(arrays))
            unexpected = sorted(set(arrays) - expected)
            raise CheckpointError(
                "checkpoint optimiser state does not match the model's trainable parameters "
                f"(missing: {', '.join(missing) or 'none'}; "
                f"unexpected: {', '.join(unexpected) or 'none'})")
        for key, saved in arrays.items():
            slot, name = key.split("/", 1)
            target = self.slots[slot][name]
            if saved.shape != target.shape:
                raise CheckpointError(f"checkpoint optimiser state {key} has shape {saved.shape}, "
                                      f"the parameter has {target.shape}")
            xp.copyto(target, saved)
        step = scalars.get("step")
        if not isinstance(step, int) or step < 0:
            raise CheckpointError(f"checkpoint optimiser step count is invalid: {step!r}")
        self.step_count = step


class SGD(Optimizer):
    """p <- p - lr * g"""

    name = "sgd"

    def _update(self, param, grad, lr, slots, work):
        xp.multiply(grad, lr, out=work)
        param -= work


class Momentum(Optimizer):
    """Classical momentum, with lr outside the velocity so schedule changes act at once.

    v <- mu * v + g;  p <- p - lr * v
    """

    name = "momentum"
    slot_names = ("velocity",)

    def __init__(self, params: Mapping[str, np.ndarray], *, momentum: float = 0.9,
                 weight_decay: float = 0.0, frozen: Iterable[str] = (),
                 lazy: bool = False) -> None:
        super().__init__(params, weight_decay=weight_decay, frozen=frozen, lazy=lazy)
        _check_range(self.name, "momentum", momentum, 0.0, 1.0)
        self.momentum = momentum

    def _update(self, param, grad, lr, slots, work):
        velocity = slots["velocity"]
        velocity *= self.momentum
        velocity += grad
        xp.multiply(velocity, lr, out=work)
        param -= work


class Nesterov(Momentum):
    """Nesterov momentum in the form used by PyTorch and Sutskever et al. (2013).

    v <- mu * v + g;  p <- p - lr * (g + mu * v)
    """

    name = "nesterov"

    def _update(self, param, grad, lr, slots, work):
        velocity = slots["velocity"]
        velocity *= self.momentum
        velocity += grad
        xp.multiply(velocity, self.momentum, out=work)
        work += grad
        work *= lr
        param -= work


class RMSprop(Optimizer):
    """s <- rho * s + (1 - rho) * g^2;  p <- p - lr * g / (sqrt(s) + eps)"""

    name = "rmsprop"
    slot_names = ("square_avg",)

    def __init__(self, params: Mapping[str, np.ndarray], *, rho: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, frozen: Iterable[str] = (),
                 lazy: bool = False) -> None:
        super().__init__(params, weight_decay=weight_decay, frozen=frozen, lazy=lazy)
        _check_range(self.name, "rho", rho, 0.0, 1.0)
        _check_range(self.name, "eps", eps, 0.0, math.inf)
        self.rho, self.eps = rho, eps

    def _update(self, param, grad, lr, slots, work):
        square_avg = slots["square_avg"]
        square_avg *= self.rho
        xp.multiply(grad, grad, out=work)
        work *= 1.0 - self.rho
        square_avg += work
        xp.sqrt(square_avg, out=work)
        work += self.eps
        xp.divide(grad, work, out=work)
        work *= lr
        param -= work


class Adam(Optimizer):
    """Adam (Kingma & Ba), bias-corrected:

    m <- b1 * m + (1 - b1) * g;  v <- b2 * v + (1 - b2) * g^2
    p <- p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
    """

    name = "adam"
    slot_names = ("m", "v")

    def __init__(self, params: Mapping[str, np.ndarray], *, beta1: float = 0.9,
                 beta2: float = 0.999, eps: float = 1e-8, weight_decay: float = 0.0,
                 frozen: Iterable[str] = (), lazy: bool = False) -> None:
        super().__init__(params, weight_decay=weight_decay, frozen=frozen, lazy=lazy)
        _check_range(self.name, "beta1", beta1, 0.0, 1.0)
        _check_range(self.name, "beta2", beta2, 0.0, 1.0)
        _check_range(self.name, "eps", eps, 0.0, math.inf)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps

    def _update(self, param, grad, lr, slots, work):
        m, v = slots["m"], slots["v"]
        m *= self.beta1
        xp.multiply(grad, 1.0 - self.beta1, out=work)
        m += work
        v *= self.beta2
        xp.multiply(grad, grad, out=work)
        work *= 1.0 - self.beta2
        v += work
        t = self.step_count
        xp.divide(v, 1.0 - self.beta2**t, out=work)
        xp.sqrt(work, out=work)
        work += self.eps
        xp.divide(m, work, out=work)
        work *= lr / (1.0 - self.beta1**t)
        param -= work


class AdamW(Adam):
    """Adam with decoupled weight decay: p <- p - lr * wd * p, then the Adam step on raw g."""

    name = "adamw"
    decoupled_weight_decay = True

    def _update(self, param, grad, lr, slots, work):
        if self.weight_decay > 0:
            param *= 1.0 - lr * self.weight_decay
        super()._update(param, grad, lr, slots, work)


OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.name: cls for cls in (SGD, Momentum, Nesterov, RMSprop, Adam, AdamW)
}


def make_optimizer(name: str, params: Mapping[str, np.ndarray], **options: Any) -> Optimizer:
    """Build the optimiser called `name`; `options` are its keyword arguments.

    Unknown names or options raise ConfigError listing what is accepted. The learning rate is not
    an option: it comes from the schedule, through `step(grads, lr)`.
    """
    cls = OPTIMIZERS.get(name)
    if cls is None:
        raise ConfigError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    accepted = [option for option in inspect.signature(cls.__init__).parameters
                if option not in ("self", "params")]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ConfigError(f"optimizer {name} has no option {', '.join(unknown)}; "
                          f"it accepts {', '.join(accepted)}")
    return cls(params, **options)
