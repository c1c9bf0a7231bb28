"""The backend seam: one array module for the engine, optimisers and averaging, and its tanh."""

import ast
from pathlib import Path

import numpy as np

import lstm_cli
from lstm_cli.engine import backend

PACKAGE = Path(lstm_cli.__file__).parent
SEAM_MODULES = sorted([*PACKAGE.glob("engine/**/*.py"), PACKAGE / "train" / "optim.py",
                       PACKAGE / "train" / "average.py"])


def numpy_array_calls(path: Path) -> list[str]:
    """`np.f(...)` / `numpy.f(...)` calls in a module, except dtype names and `np.random`'s
    Generator (the engine takes its randomness from an explicit numpy Generator)."""
    allowed = {"dtype", "float32", "float64", "int64", "int32", "ndarray", "random", "bool_",
               "integer", "floating", "errstate", "finfo", "iinfo", "result_type", "intp"}
    calls = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id in ("np", "numpy") and node.attr not in allowed:
            calls.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {node.value.id}.{node.attr}")
    return calls


def test_engine_optimiser_and_average_modules_take_arrays_from_the_backend():
    assert len(SEAM_MODULES) > 10
    offenders = [call for path in SEAM_MODULES if path.name != "backend.py"
                 for call in numpy_array_calls(path)]
    assert offenders == []


def test_tanh_from_exp_matches_tanh_in_float32_and_passes_float64_through():
    x = np.concatenate([np.linspace(-20, 20, 4001), [0.0, -0.0, 1e-30, 88.0, -88.0, 1e4, -1e4]])
    y = backend.tanh_from_exp(x.astype(np.float32))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, np.tanh(x), rtol=0, atol=3e-7)
    assert y[4001] == 0 and y[-2] == 1 and y[-1] == -1
    out = np.empty_like(x)
    assert backend.tanh_from_exp(x, out=out) is out
    np.testing.assert_array_equal(out, np.tanh(x))


def test_the_chosen_tanh_is_numpys_where_its_float32_kernel_is_vectorised():
    expected = np.tanh if backend.float32_tanh_is_vectorised() else backend.tanh_from_exp
    assert backend.tanh is expected
