"""`lstm predict` end to end against a PyTorch tagger of the same architecture, on one file.

    python bench/predict_vs_torch.py RUN_DIR_OR_CHECKPOINT FILE.conllu [--runs 3] [--threads 2]

The PyTorch tagger is built from the checkpoint's own weights (so both predict the same labels;
the script prints how many agree): word embeddings, a character CNN run per token, the affix
embeddings, a BiLSTM over packed sequences, a linear layer and an argmax, in batches of 64
sentences sorted by length. It needs a model with that architecture (the EWT config's).

Four timings, each the best of `--runs`, 2 threads on both sides by default:

  * **ours, end to end**: `python -m lstm_cli predict CHECKPOINT FILE -o OUT` as a subprocess,
    wall time: interpreter start, imports, checkpoint load, reading, encoding, model, writing.
  * **torch, end to end**: in this process, so *without* interpreter start, `import torch` or
    building the model (all of which favour torch): reading the file with the same reader,
    encoding every token with a plain Python loop (ids of the word, its affixes and its
    characters looked up per token, as a per-token tagger does), tensors, model, argmax, and
    writing `token<TAB>label` lines to a buffer.
  * **ours, in process**: what the torch side times, with our code: the same loaded model (its
    per-word-type id cache emptied first, so every word is encoded again), reading, encoding,
    model, labels, writing the lines of `lstm predict` to a buffer — `Tagger.iter_examples`
    and the CLI's own `write_predictions`. It leaves out interpreter start, imports and the
    checkpoint load, as the torch side does; the ratio the issue asks for is this row's.
  * **model alone** on both sides: the same batches, already encoded; our `SequenceTagger.scores`
    + argmax decode against the torch module's forward + argmax under `inference_mode`.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from lstm_cli.data.affixes import affix_values
from lstm_cli.data.batching import make_batch
from lstm_cli.data.encoding import encode_example
from lstm_cli.data.prepare import iter_examples
from lstm_cli.engine.export import stack_to_torch
from lstm_cli.model import TrainedModel, load_model
from lstm_cli.sweep.local import child_env

BATCH = 64


def torch_tagger(torch, model: TrainedModel):
    """The checkpoint's tagger as a torch.nn.Module (weights copied), and its forward."""
    nn = torch.nn
    tagger = model.tagger
    if tagger.chars is None or type(tagger.chars).__name__ != "CharCNN" or tagger.frame_dim:
        raise SystemExit("needs a model with a character CNN and no frames (the EWT config's)")

    def tensor(array):
        return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))

    class Tagger(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.words = nn.Embedding.from_pretrained(tensor(tagger.embedding.params["weight"]))
            cnn = tagger.chars
            self.chars = nn.Embedding.from_pretrained(tensor(cnn.embedding.params["weight"]))
            weight = cnn.conv.params["weight"]                       # [F, k, dim]
            self.conv = nn.Conv1d(cnn.dim, cnn.filters, cnn.width, padding=cnn.width // 2)
            self.conv.weight.data = tensor(weight.transpose(0, 2, 1))  # [F, dim, k]
            self.conv.bias.data = tensor(cnn.conv.params["bias"])
            self.activation = torch.tanh if cnn.activation == "tanh" else torch.relu
            self.affixes = nn.ModuleList(nn.Embedding.from_pretrained(
                tensor(embedding.params["weight"])) for embedding in tagger.features.values())
            rnn = tagger.rnn
            self.lstm = nn.LSTM(tagger.input_size, rnn.hidden_size, num_layers=rnn.num_layers,
                                bidirectional=rnn.bidirectional, batch_first=True)
            state = stack_to_torch(rnn.named_params(), "lstm", rnn.num_layers,
                                   rnn.bidirectional)
            self.lstm.load_state_dict({name: tensor(value) for name, value in state.items()})
            self.linear = nn.Linear(rnn.output_size, len(model.labels))
            self.linear.weight.data = tensor(tagger.classifier.params["weight"])
            self.linear.bias.data = tensor(tagger.classifier.params["bias"])

        def forward(self, words, affixes, chars, char_mask, lengths):
            """words [B, T], affixes [B, T, A], chars [B, T, L], char_mask [B, T, L] ->
            label ids [B, T]."""
            batch, steps, width = chars.shape
            x = self.chars(chars.reshape(-1, width)) * char_mask.reshape(-1, width, 1)
            y = self.activation(self.conv(x.transpose(1, 2)))           # [N, F, L]
            y = y.masked_fill(~char_mask.reshape(-1, 1, width), float("-inf"))
            char_vectors = y.max(dim=2).values.reshape(batch, steps, -1)
            parts = [self.words(words), char_vectors,
                     *(embedding(affixes[..., k]) for k, embedding in enumerate(self.affixes))]
            packed = nn.utils.rnn.pack_padded_sequence(torch.cat(parts, dim=2), lengths,
                                                       batch_first=True)
            hidden, _ = nn.utils.rnn.pad_packed_sequence(self.lstm(packed)[0],
                                                         batch_first=True)
            return self.linear(hidden).argmax(dim=2)

    return Tagger().eval()


def torch_inputs(torch, model: TrainedModel, sentences: list[list[str]]):
    """Padded tensors of one batch (sorted longest first), encoded token by token."""
    vocabs = model.vocabs
    steps = len(sentences[0])
    chars = [[vocabs.encode_chars(token) for token in tokens] for tokens in sentences]
    width = max(len(ids) for sentence in chars for ids in sentence)
    words = np.zeros((len(sentences), steps), dtype=np.int64)
    affixes = np.zeros((len(sentences), steps, len(vocabs.affixes)), dtype=np.int64)
    char_ids = np.zeros((len(sentences), steps, width), dtype=np.int64)
    for b, tokens in enumerate(sentences):
        for t, token in enumerate(tokens):
            words[b, t] = vocabs.tokens.ids.get(vocabs.tokens.normalize(token), 1)
            for k, (name, vocab) in enumerate(vocabs.affixes.items()):
                affixes[b, t, k] = vocab.ids.get(affix_values(name, [token])[0], 1)
            ids = chars[b][t]
            char_ids[b, t, :len(ids)] = ids
    lengths = torch.tensor([len(tokens) for tokens in sentences])
    char_tensor = torch.from_numpy(char_ids)
    return (torch.from_numpy(words), torch.from_numpy(affixes), char_tensor, char_tensor > 0,
            lengths)


def sorted_batches(sentences: list[list[str]]) -> list[list[int]]:
    order = sorted(range(len(sentences)), key=lambda i: -len(sentences[i]))
    return [order[start:start + BATCH] for start in range(0, len(order), BATCH)]


def torch_end_to_end(torch, module, model: TrainedModel, path: Path) -> tuple[float, list]:
    start = time.perf_counter()
    sentences = [example.tokens for example in iter_examples(path, model.config.data,
                                                             format="conllu")]
    labels: list[list[str]] = [[] for _ in sentences]
    with torch.inference_mode():
        for chunk in sorted_batches(sentences):
            ids = module(*torch_inputs(torch, model, [sentences[i] for i in chunk])).numpy()
            for row, i in enumerate(chunk):
                labels[i] = [model.labels[k] for k in ids[row, :len(sentences[i])]]
    out = io.StringIO()
    for tokens, tags in zip(sentences, labels, strict=True):
        out.writelines(f"{token}\t{tag}\n" for token, tag in zip(tokens, tags, strict=True))
        out.write("\n")
    return time.perf_counter() - start, labels


def ours_end_to_end(checkpoint: str, path: Path, threads: int) -> tuple[float, list]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.conll"
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "lstm_cli", "predict", checkpoint, str(path),
                        "-o", str(out)], check=True, env=child_env(threads))
        seconds = time.perf_counter() - start
        blocks = out.read_text(encoding="utf-8").strip("\n").split("\n\n")
    return seconds, [[line.split("\t")[-1] for line in block.split("\n")] for block in blocks]


def ours_in_process(model: TrainedModel, path: Path) -> tuple[float, list]:
    from lstm_cli.api import Tagger
    from lstm_cli.cli.predict import write_predictions

    model.__dict__.pop("word_types", None)            # a cold cache, as in a new process
    start = time.perf_counter()
    results = Tagger(model).iter_examples(iter_examples(path, model.config.data,
                                                        format="conllu"))
    out = io.StringIO()
    write_predictions(model, results, out, fmt="conll", with_probs=False, with_gold=False)
    seconds = time.perf_counter() - start
    blocks = out.getvalue().strip("\n").split("\n\n")
    return seconds, [[line.split("\t")[-1] for line in block.split("\n")] for block in blocks]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("file", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    import torch
    torch.set_num_threads(args.threads)
    model = load_model(args.checkpoint)
    module = torch_tagger(torch, model)
    examples = list(iter_examples(args.file, model.config.data, format="conllu"))
    tokens = sum(len(example) for example in examples)
    batches = sorted_batches([example.tokens for example in examples])

    ours_total, ours_inside, torch_total, ours_model, torch_model = [], [], [], [], []
    ours_labels = torch_labels = None
    encoded = [make_batch([encode_example(examples[i], model.vocabs) for i in chunk],
                          index=chunk) for chunk in batches]
    tensors = [torch_inputs(torch, model, [examples[i].tokens for i in chunk])
               for chunk in batches]
    for _ in range(args.runs):
        seconds, ours_labels = ours_end_to_end(args.checkpoint, args.file, args.threads)
        ours_total.append(seconds)
        with threadpool_limits(limits=args.threads):
            seconds, inside_labels = ours_in_process(model, args.file)
            ours_inside.append(seconds)
            assert inside_labels == ours_labels, "in process and lstm predict disagree"
            start = time.perf_counter()
            for batch in encoded:
                scores, _ = model.tagger.scores(batch, keep_tape=False)
                model.tagger.output.decode(scores, batch.lengths)
            ours_model.append(time.perf_counter() - start)
        seconds, torch_labels = torch_end_to_end(torch, module, model, args.file)
        torch_total.append(seconds)
        with torch.inference_mode():
            start = time.perf_counter()
            for inputs in tensors:
                module(*inputs)
            torch_model.append(time.perf_counter() - start)
    agree = sum(a == b for ours, theirs in zip(ours_labels, torch_labels, strict=True)
                for a, b in zip(ours, theirs, strict=True))
    print(f"{args.file.name}: {len(examples):,} sentences, {tokens:,} tokens; "
          f"labels agreeing with torch: {agree / tokens:.2%}; best of {args.runs} runs, "
          f"{args.threads} threads; torch {torch.__version__}")
    print("| | ours s | ours tok/s | torch s | torch tok/s | ratio |")
    print("|---|---|---|---|---|---|")
    for name, ours, theirs in (("end to end (ours: a new process)", ours_total, torch_total),
                               ("end to end in process (like torch's)", ours_inside,
                                torch_total),
                               ("model alone", ours_model, torch_model)):
        print(f"| {name} | {min(ours):.2f} | {tokens / min(ours):,.0f} | {min(theirs):.2f} | "
              f"{tokens / min(theirs):,.0f} | {min(theirs) / min(ours):.2f}x |")


if __name__ == "__main__":
    main()
