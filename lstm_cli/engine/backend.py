"""The array module, chosen in one place, and the elementwise functions whose fastest form
depends on the machine.

Every engine module does `from lstm_cli.engine.backend import xp` and writes `xp.multiply(...)`,
so a CuPy backend can be dropped in here later without touching the cells; `tanh` comes from
here too (see `tanh`). A test checks that no engine, optimiser or averaging module imports
numpy for array work.
"""

from __future__ import annotations

from functools import cache

import numpy

xp = numpy

DTYPES = {"float32": numpy.float32, "float64": numpy.float64}


def resolve_dtype(name: str) -> numpy.dtype:
    """`"float32"` or `"float64"` -> the numpy dtype."""
    try:
        return numpy.dtype(DTYPES[name])
    except KeyError:
        raise ValueError(f"dtype must be one of {sorted(DTYPES)}, not {name!r}") from None


def float32_tanh_is_vectorised() -> bool:
    """Whether NumPy runs float32 `tanh` with a SIMD kernel on this machine: it dispatches one
    above its baseline (x86-64: X86_V3 = AVX2 or X86_V4 = AVX-512). At the baseline it calls
    the scalar libm loop, about 11 ns per element against 0.4 (AVX-512) or 1.2 (AVX2) on the
    benchmark machine (bench/README.md). A property of the machine and NumPy's build, read from
    NumPy's dispatch table, so it cannot change between runs as a timing could."""
    try:
        from numpy.lib.introspect import opt_func_info
    except ImportError:                          # NumPy < 2.0: assume the SIMD kernel
        return True
    info = opt_func_info(func_name="^tanh$", signature="float32").get("tanh", {})
    target = next(iter(info.values()), {}).get("current", "")
    return not target.startswith("baseline")


def tanh_from_exp(x, out=None):
    """tanh for float32 where NumPy has no SIMD tanh but a SIMD exp: out ← 2 / (1 + e^{−2x}) − 1
    (about 2.8 ns per element against 11 at the baseline). Absolute error a few float32 ulps
    of 1, exactly 0 at 0 and ±1 in the limits; other dtypes go to `xp.tanh` unchanged."""
    if x.dtype != numpy.float32:
        return xp.tanh(x, out=out)
    out = xp.multiply(x, -2.0, out=out)
    xp.minimum(out, 80.0, out=out)               # e^80 is finite in float32: no overflow
    xp.exp(out, out=out)
    out += 1.0
    xp.divide(2.0, out, out=out)
    out -= 1.0
    return out


#: tanh(x, out=...) as `xp.tanh`, for every dtype; the exp form for float32 only where NumPy's
#: own float32 tanh is scalar. float64 always takes `xp.tanh`.
tanh = xp.tanh if float32_tanh_is_vectorised() else tanh_from_exp


@cache
def _blas_libraries() -> list:
    from threadpoolctl import ThreadpoolController
    return ThreadpoolController().select(user_api="blas").lib_controllers


def blas_threads() -> int:
    """How many threads NumPy's BLAS runs a GEMM on right now (as set by `threadpool_limits`
    or OPENBLAS_NUM_THREADS); 1 where no BLAS library can be found."""
    return max((library.num_threads or 1 for library in _blas_libraries()), default=1)
