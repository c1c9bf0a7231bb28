"""`lstm bench`: time a training step and inference of the engine on random data."""

from __future__ import annotations

import typer

from lstm_cli.cli.common import print_json
from lstm_cli.cli.main import app
from lstm_cli.errors import LstmError


@app.command("bench")
def bench_cli(
    cell: str = typer.Option("lstm", "--cell", help="lstm, gru or rnn."),
    batch_size: int = typer.Option(32, "--batch-size", min=1),
    seq_len: int = typer.Option(32, "--seq-len", min=1),
    input_size: int = typer.Option(64, "--input-size", min=1),
    hidden_size: int = typer.Option(128, "--hidden-size", min=1),
    num_layers: int = typer.Option(1, "--num-layers", min=1),
    bidirectional: bool = typer.Option(False, "--bidirectional/--no-bidirectional"),
    num_classes: int = typer.Option(10, "--num-classes", min=1),
    threads: int = typer.Option(None, "--threads", min=1,
                                help="BLAS threads (default: the library's own choice)."),
    repeats: int = typer.Option(5, "--repeats", min=1, help="Timed runs; the best is kept."),
    dtype: str = typer.Option("float32", "--dtype", help="float32 or float64."),
    as_json: bool = typer.Option(False, "--json", help="Print every measurement as JSON."),
) -> None:
    """Time the engine: tokens/s for training and inference, against the GEMM floor.

    Example: lstm bench --hidden-size 256 --num-layers 2 --bidirectional --threads 2
    """
    from lstm_cli.bench import GATES, benchmark

    if cell not in GATES:
        raise LstmError(f"--cell must be one of {', '.join(GATES)}, not {cell!r}")
    if dtype not in ("float32", "float64"):
        raise LstmError(f"--dtype must be float32 or float64, not {dtype!r}")
    result = benchmark(cell=cell, batch_size=batch_size, seq_len=seq_len, input_size=input_size,
                       hidden_size=hidden_size, num_layers=num_layers,
                       bidirectional=bidirectional, num_classes=num_classes, threads=threads,
                       repeats=repeats, dtype=dtype)
    if as_json:
        print_json(result)
        return
    blas = ", ".join(f"{entry['internal_api']} {entry['version']} ({entry['num_threads']} threads)"
                     for entry in result["blas"])
    typer.echo(f"train   {result['train_tokens_per_s']:12,.0f} tokens/s   "
               f"{result['train_step_s'] * 1e3:8.2f} ms/batch   "
               f"{result['train_vs_floor']:.2f}x GEMM floor" + (
                   "" if result["train_bound_vs_floor"] is None else
                   f" (best possible in NumPy: {result['train_bound_vs_floor']:.2f}x)"))
    typer.echo(f"infer   {result['infer_tokens_per_s']:12,.0f} tokens/s   "
               f"{result['infer_step_s'] * 1e3:8.2f} ms/batch   "
               f"{result['infer_vs_floor']:.2f}x GEMM floor "
               f"(best possible in NumPy: {result['infer_bound_vs_floor']:.2f}x)")
    typer.echo(f"memory  {result['peak_bytes'] / 2**20:12.1f} MiB peak in a training step   "
               f"{result['peak_vs_activations']:.2f}x the activations kept for backward")
    typer.echo(f"blas    {blas}")
