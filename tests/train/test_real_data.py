"""Small end-to-end runs on the shared real data (skipped when ../shared/data is absent)."""

from pathlib import Path

import pytest

from lstm_cli.config import load_config
from lstm_cli.data.prepare import load_splits
from lstm_cli.data.schemes import is_valid_sequence
from lstm_cli.eval.baseline import MostFrequentTag
from lstm_cli.inference import predict
from lstm_cli.model import load_model
from lstm_cli.train.loop import train

REPO = Path(__file__).parents[2]
SEED_NEWS = REPO.parent / "shared" / "data" / "seed-news" / "news_tagged_data.txt"
EWT = REPO.parent / "shared" / "data" / "ud-en-ewt"


@pytest.mark.slow
@pytest.mark.skipif(not SEED_NEWS.exists(), reason="shared seed-news data absent")
def test_constrained_crf_never_outputs_an_invalid_bio_sequence(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    config = load_config(REPO / "configs" / "seed-news.yaml", [
        "model.hidden_size=16", "model.embedding.pretrained=null", "model.embedding.dim=16",
        "model.chars.dim=0", "train.epochs=1", "train.threads=1"])
    train(config, tmp_path / "run")
    model = load_model(tmp_path / "run")
    splits = load_splits(model.config)
    predictions = predict(model, splits.train + splits.dev + splits.test)
    assert len(predictions) == 1000
    assert all(is_valid_sequence(p.labels, "IOB2") for p in predictions)


@pytest.mark.slow
@pytest.mark.skipif(not EWT.exists(), reason="shared UD English EWT data absent")
def test_ewt_slice_learns_well_above_most_frequent_tag(tmp_path, monkeypatch):
    """The EWT config, shrunk, on 1,500 training sentences: far above the most-frequent-tag
    baseline on the same slice, and far above it on words unseen in training."""
    monkeypatch.chdir(REPO)
    config = load_config(REPO / "configs" / "ud-en-ewt-upos.yaml", [
        "model.hidden_size=48", "model.embedding.dim=32", "model.chars.dim=16",
        "model.chars.hidden_size=16", "train.epochs=3", "train.threads=1",
        "data.max_length=40", "data.too_long=split"])
    splits = load_splits(config)
    slice_dir = tmp_path / "slice"
    slice_dir.mkdir()
    from lstm_cli.data.conll import write_conll
    write_conll(slice_dir / "train.txt", splits.train[:1500])
    write_conll(slice_dir / "dev.txt", splits.dev[:300])
    config = load_config(REPO / "configs" / "ud-en-ewt-upos.yaml", [
        "model.hidden_size=48", "model.embedding.dim=32", "model.chars.dim=16",
        "model.chars.filters=16", "model.affixes.dim=8", "train.ema=null",
        "train.epochs=5", "train.threads=1", "data.format=conll",
        "train.optimizer.lr=0.01", "model.output_dropout=0.1", "model.input_dropout=0.1",
        f"data.train={slice_dir / 'train.txt'}", f"data.dev={slice_dir / 'dev.txt'}",
        f"data.test={slice_dir / 'dev.txt'}"])
    result = train(config, tmp_path / "run")

    baseline = MostFrequentTag(splits.train[:1500]).evaluate(splits.dev[:300])
    assert result.report["token_accuracy"] > baseline["token_accuracy"] + 0.04, (
        result.report["token_accuracy"], baseline["token_accuracy"])
    assert result.report["unseen_token_accuracy"] > baseline["unseen_token_accuracy"] + 0.2
