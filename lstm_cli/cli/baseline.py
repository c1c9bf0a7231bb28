"""`lstm baseline CONFIG`: the most-frequent-tag baseline on the config's data."""

from __future__ import annotations

from pathlib import Path

import typer

from lstm_cli.cli.common import SET_OPTION, print_json, stdout_console
from lstm_cli.cli.main import app
from lstm_cli.errors import ConfigError


@app.command("baseline")
def baseline_cli(
    config_path: Path = typer.Argument(..., metavar="CONFIG"),
    overrides: list[str] = SET_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print {split: report} as JSON."),
) -> None:
    """Score the most-frequent-tag baseline on the config's dev and test data.

    Each word gets the label it had most often in the training data; unseen words get the most
    frequent label. Reads the data exactly as `lstm train` would (same splits).
    Example: lstm baseline configs/ud-en-ewt-upos.yaml --json
    """
    from lstm_cli.config import load_config
    from lstm_cli.data.prepare import load_splits
    from lstm_cli.eval.baseline import MostFrequentTag
    from lstm_cli.eval.report import report_table

    config = load_config(config_path, overrides or [])
    if not config.model.output_targets().token_labels:
        raise ConfigError(f"the baseline tags tokens; model.output {config.model.output} "
                          f"predicts something else")
    splits = load_splits(config)
    if splits.train[0].labels is None or splits.train[0].frames is not None:
        raise ConfigError("the baseline needs labelled tokens (not dense frames)")
    baseline = MostFrequentTag(splits.train)
    reports = {}
    for name in ("dev", "test"):
        examples = getattr(splits, name)
        if examples:
            reports[name] = {**baseline.evaluate(examples), "data": splits.sources[name],
                             "checkpoint": "most-frequent tag"}
    if not reports:
        raise ConfigError("the config has no dev or test data to score the baseline on",
                          hint="set data.dev, data.test or data.split")
    if as_json:
        print_json(reports)
        return
    console = stdout_console()
    for report in reports.values():
        console.print(report_table(report))
