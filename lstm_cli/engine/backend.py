"""The array module, chosen in one place.

Every engine module does `from lstm_cli.engine.backend import xp` and writes `xp.tanh(...)`, so a
CuPy backend can be dropped in here later without touching the cells.
"""

from __future__ import annotations

import numpy

xp = numpy

DTYPES = {"float32": numpy.float32, "float64": numpy.float64}


def resolve_dtype(name: str) -> numpy.dtype:
    """`"float32"` or `"float64"` -> the numpy dtype."""
    try:
        return numpy.dtype(DTYPES[name])
    except KeyError:
        raise ValueError(f"dtype must be one of {sorted(DTYPES)}, not {name!r}") from None
