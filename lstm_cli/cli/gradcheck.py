"""`lstm gradcheck CONFIG`: finite-difference check of the config's model at tiny size."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from lstm_cli.cli.common import SET_OPTION, print_json
from lstm_cli.cli.main import app

if TYPE_CHECKING:                    # imported where used, so that `gradcheck --help` is fast
    import numpy as np

    from lstm_cli.data.batching import Batch
    from lstm_cli.engine.tagger import SequenceTagger

TINY = ["model.hidden_size=3", "model.embedding.dim=4", "model.embedding.pretrained=null",
        "model.embedding.freeze=false", "model.chars.hidden_size=3", "model.chars.filters=4",
        "model.dtype=float64"]
CNN_EPS = 1e-4        # finite-difference step for the character CNN's parameters
# Token strings of the tiny vocabulary: ragged words (1 to 5 characters), so a character
# encoder sees words of different lengths, some shorter than its window.
TINY_WORDS = ["a", "to", "cat", "dogs", "w4", "sheep", "it", "the"]


def tiny_problem(config, rng: np.random.Generator, labels: int = 4, frame_dim: int = 0):
    """Tiny vocabularies and a ragged, unlabelled batch of random ids and frames for `config`
    (with the tokens' characters when `model.chars.dim` > 0); `with_random_targets` adds the
    gold its output layer reads."""
    from lstm_cli.data.affixes import configured_affix_names
    from lstm_cli.data.batching import make_batch
    from lstm_cli.data.encoding import EncodedExample
    from lstm_cli.data.vocab import WORD_END, WORD_START, LabelVocab, Vocab, Vocabs

    tokens = Vocab(TINY_WORDS)
    chars = None
    if config.model.chars.dim > 0:
        chars = Vocab.build(list(word) for word in TINY_WORDS)    # <unk>'s characters: unknown
        chars.extend([WORD_START, WORD_END])
    vocabs = Vocabs(tokens=tokens,
                    labels=LabelVocab([f"L{i}" for i in range(labels)]),
                    features={name: Vocab([f"{name}{i}" for i in range(5)])
                              for name in config.model.features},
                    affixes={name: Vocab([f"{name}{i}" for i in range(5)])
                             for name in configured_affix_names(config.model.affixes)},
                    chars=chars, max_word_chars=config.model.chars.max_length)
    feature_names = [*vocabs.features, *vocabs.affixes]
    examples = []
    for length in (5, 3, 4):
        token_ids = rng.integers(1, len(vocabs.tokens), size=length)
        words = [vocabs.tokens.words[i] for i in token_ids]
        examples.append(EncodedExample(
            token_ids=token_ids,
            feature_ids={name: rng.integers(1, 7, size=length) for name in feature_names},
            frames=rng.standard_normal((length, frame_dim)) if frame_dim else None,
            tokens=None if chars is None else words,
            char_ids=None if chars is None else [vocabs.encode_chars(word) for word in words]))
    return vocabs, make_batch(examples)


def with_random_targets(tagger: SequenceTagger, batch: Batch, rng: np.random.Generator) -> Batch:
    """`batch` with random gold of the kind the tagger's output layer is trained against."""
    return dataclasses.replace(batch, **tagger.output.random_targets(rng, batch.lengths))


@app.command("gradcheck")
def gradcheck_cli(
    config_path: Path = typer.Argument(..., metavar="CONFIG"),
    overrides: list[str] = SET_OPTION,
    tolerance: float = typer.Option(1e-6, "--tolerance", help="Largest relative error allowed."),
    as_json: bool = typer.Option(False, "--json", help="Print {param: error} as JSON."),
) -> None:
    """Check the config's model gradients against finite differences (float64, tiny sizes).

    Prints the max relative error per parameter; exits 1 if any is above --tolerance.
    Example: lstm gradcheck configs/quickstart.yaml --set model.cell=gru
    """
    import numpy as np

    from lstm_cli.config import load_config
    from lstm_cli.engine.gradcheck import check_gradients
    from lstm_cli.model import build_model

    config = load_config(config_path, [*(overrides or []), *TINY])
    config.model.dropout = config.model.input_dropout = config.model.output_dropout = 0.0
    rng = np.random.default_rng(config.seed)
    frame_dim = 3 if config.data.format == "dense" else 0
    vocabs, batch = tiny_problem(config, rng, frame_dim=frame_dim)
    tagger = build_model(config, vocabs, rng=rng, frame_dim=frame_dim)
    batch = with_random_targets(tagger, batch, rng)
    for name, value in tagger.named_params().items():
        if name not in tagger.frozen:
            value += rng.uniform(-0.3, 0.3, value.shape)
    for name in ("embedding.weight", "chars.embedding.weight"):     # padding rows stay zero
        if name in tagger.named_params():
            tagger.named_params()[name][0] = 0
    tagger.loss_and_grads(batch, train=False)
    grads = {name: grad.copy() for name, grad in tagger.named_grads().items()}
    params = {name: value for name, value in tagger.named_params().items()
              if name not in tagger.frozen}
    # The character CNN max-pools: its output has kinks where two positions tie, and tanh
    # saturation packs the top values close together, so its parameters get a smaller step
    # (a 2ε step that crosses a kink measures no derivative at all).
    pooled = {name for name in params if name.startswith("chars.")} \
        if config.model.chars.encoder == "cnn" else set()

    def loss() -> float:
        return tagger.loss(batch)

    errors = check_gradients(loss, {name: value for name, value in params.items()
                                    if name not in pooled}, grads, rng=rng)
    errors.update(check_gradients(loss, {name: params[name] for name in params if name in pooled},
                                  grads, rng=rng, eps=CNN_EPS))
    errors = {name: errors[name] for name in params}
    worst = max(errors.values())
    if as_json:
        print_json({"errors": errors, "max": worst, "tolerance": tolerance})
    else:
        for name, error in errors.items():
            flag = "" if error <= tolerance else "   <-- above tolerance"
            typer.echo(f"{name:36} {error:.2e}{flag}")
        typer.echo(f"max relative error {worst:.2e} (tolerance {tolerance:.0e})")
    if worst > tolerance:
        raise typer.Exit(1)
