"""Scoring from raw text as the CoNLL 2018 shared task does (its conll18_ud_eval.py rules,
implemented here from their description).

The system reads the gold file's raw text (`text.conllu_text`) and returns its own sentences,
tokens and words. Both sides must hold the same non-whitespace characters; every token, word
and sentence is placed by its span `[start, end)` counted in those characters only, so
whitespace never matters.

- tokens, sentences: an item is correct when gold has one with the same span; precision over
  the system's items, recall over gold's, F1.
- words: a word outside any multiword token has its own span and is aligned to a gold word
  with the same span. The words of a multiword token all carry the token's span; where a
  multiword token (gold or system) covers a stretch of text, the words of both sides inside
  that stretch (widened while a multiword token crosses its end) are aligned by the longest
  common subsequence of their lowercased forms.
- the label (UPOS or XPOS): a word is correct when it is aligned and both labels agree;
  precision over system words, recall over gold words, F1 (the shared task's "UPOS" F1), and
  `aligned_accuracy` = correct / aligned words.

`word_errors` groups the words left unaligned (gold words missed, system words spurious) into
stretches of text and names each stretch's likely cause (`ERROR_CAUSES`), so a report can say
which tokenisation errors cost the words F1.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lstm_cli.errors import LstmError
from lstm_cli.eval.scores import precision_recall_f1, ratio
from lstm_cli.text.conllu_text import GoldDocument, read_conllu_text
from lstm_cli.text.tokenize import Sentence, Tokenizer, words_of

if TYPE_CHECKING:
    from lstm_cli.api import Tagger


@dataclass(frozen=True)
class Word:
    """A word at span `[start, end)` of non-whitespace characters (its token's span when it
    is part of a multiword token), with its form and label."""

    start: int
    end: int
    form: str
    label: str = ""
    multiword: bool = False


@dataclass
class Segmentation:
    """One side's sentences, tokens (spans) and words, in text order."""

    sentences: list[tuple[int, int]]
    tokens: list[tuple[int, int]]
    words: list[Word]


class _Index:
    """Character offsets in a text -> positions among its non-whitespace characters."""

    def __init__(self, text: str) -> None:
        self.before = [0] * (len(text) + 1)
        for position, char in enumerate(text):
            self.before[position + 1] = self.before[position] + (not char.isspace())

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.before[start], self.before[end]


def gold_segmentation(document: GoldDocument, label: str = "upos") -> Segmentation:
    """The gold side; `label` names the word field scored ("upos" or "xpos")."""
    index = _Index(document.text)
    sentences, tokens, words = [], [], []
    for sentence in document.sentences:
        sentences.append(index.span(sentence.start, sentence.end))
        for token in sentence.tokens:
            span = index.span(token.start, token.end)
            tokens.append(span)
            multiword = len(token.words) > 1
            words.extend(Word(*span, word.form, getattr(word, label), multiword)
                         for word in token.words)
    return Segmentation(sentences, tokens, words)


def system_segmentation(text: str, sentences: Sequence[Sentence],
                        labels: Sequence[Sequence[str]] | None = None) -> Segmentation:
    """The system side from a tokeniser's sentences over `text` and, optionally, one label per
    word of each sentence (`tokenize.words_of`)."""
    index = _Index(text)
    spans, tokens, words = [], [], []
    for number, sentence in enumerate(sentences):
        spans.append(index.span(sentence[0].start, sentence[-1].end))
        sentence_labels = iter(labels[number]) if labels is not None else None
        for token in sentence:
            span = index.span(token.start, token.end)
            tokens.append(span)
            forms = [word.text for word in words_of([token])]
            for form in forms:
                label = next(sentence_labels) if sentence_labels is not None else ""
                words.append(Word(*span, form, label, len(forms) > 1))
    return Segmentation(spans, tokens, words)


def align_words(gold: Sequence[Word], system: Sequence[Word]) -> list[tuple[int, int]]:
    """Pairs `(gold index, system index)` of aligned words (see the module docstring)."""
    pairs: list[tuple[int, int]] = []
    gi = si = 0
    while gi < len(gold) and si < len(system):
        if gold[gi].multiword or system[si].multiword:
            gs, ss, gi, si = _multiword_stretch(gold, system, gi, si)
            pairs.extend(_lcs_pairs(gold, system, gs, gi, ss, si))
        elif (gold[gi].start, gold[gi].end) == (system[si].start, system[si].end):
            pairs.append((gi, si))
            gi += 1
            si += 1
        elif gold[gi].start <= system[si].start:
            gi += 1
        else:
            si += 1
    return pairs


def _multiword_stretch(gold: Sequence[Word], system: Sequence[Word], gi: int,
                       si: int) -> tuple[int, int, int, int]:
    """`(gold start, system start, gold end, system end)` of the words to align by LCS: from
    the multiword token at gi or si (a plain word of the other side starting before it is
    skipped) up to the first words of both sides at or past the stretch's end, which a
    multiword token reaching past it moves on."""
    if gold[gi].multiword:
        end = gold[gi].end
        if not system[si].multiword and system[si].start < gold[gi].start:
            si += 1
    else:
        end = system[si].end
        if not gold[gi].multiword and gold[gi].start < system[si].start:
            gi += 1
    gs, ss = gi, si
    while (gi < len(gold) and gold[gi].start < end) or (si < len(system)
                                                        and system[si].start < end):
        if gi < len(gold) and (si >= len(system) or gold[gi].start <= system[si].start):
            word, gi = gold[gi], gi + 1
        else:
            word, si = system[si], si + 1
        if word.multiword:
            end = max(end, word.end)
    return gs, ss, gi, si


def _lcs_pairs(gold: Sequence[Word], system: Sequence[Word], gs: int, ge: int, ss: int,
               se: int) -> list[tuple[int, int]]:
    """A longest common subsequence of the lowercased forms of gold[gs:ge] and system[ss:se]
    as index pairs, taking a match as early as possible."""
    g_forms = [word.form.lower() for word in gold[gs:ge]]
    s_forms = [word.form.lower() for word in system[ss:se]]
    rows, cols = len(g_forms), len(s_forms)
    table = [[0] * (cols + 1) for _ in range(rows + 1)]   # table[g][s]: LCS of the suffixes
    for g in reversed(range(rows)):
        for s in reversed(range(cols)):
            table[g][s] = max(table[g + 1][s + 1] + 1 if g_forms[g] == s_forms[s] else 0,
                              table[g + 1][s], table[g][s + 1])
    pairs = []
    g = s = 0
    while g < rows and s < cols:
        if g_forms[g] == s_forms[s]:
            pairs.append((gs + g, ss + s))
            g += 1
            s += 1
        elif table[g][s] == table[g + 1][s]:
            g += 1
        else:
            s += 1
    return pairs


def score_segmentation(gold: Segmentation, system: Segmentation, *, labelled: bool = True,
                       pairs: list[tuple[int, int]] | None = None) -> dict:
    """`{tokens, sentences, words[, label]}`, each `{precision, recall, f1, gold, system,
    correct}`; `label` (when `labelled`) also has `aligned_accuracy`. `pairs` is
    `align_words(gold.words, system.words)` if the caller has it already. Raises ValueError
    when the two sides do not hold the same text."""
    gold_end = gold.tokens[-1][1] if gold.tokens else 0
    system_end = system.tokens[-1][1] if system.tokens else 0
    if gold_end != system_end:
        raise ValueError(f"the system's tokens cover {system_end} non-space characters, "
                         f"gold's {gold_end}: they were not cut from the same text")
    report = {"tokens": _span_scores(gold.tokens, system.tokens),
              "sentences": _span_scores(gold.sentences, system.sentences)}
    if pairs is None:
        pairs = align_words(gold.words, system.words)
    report["words"] = _counts(len(pairs), len(system.words), len(gold.words))
    if labelled:
        correct = sum(gold.words[g].label == system.words[s].label for g, s in pairs)
        report["label"] = {**_counts(correct, len(system.words), len(gold.words)),
                           "aligned_accuracy": ratio(correct, len(pairs))}
    return report


def _span_scores(gold: Sequence[tuple[int, int]], system: Sequence[tuple[int, int]]) -> dict:
    return _counts(len(set(gold) & set(system)), len(system), len(gold))


def _counts(correct: int, found: int, gold: int) -> dict:
    return {**precision_recall_f1(correct, found, gold), "gold": gold, "system": found,
            "correct": correct}


def evaluate_raw_text(gold_path: str | Path, tokenizer: Tokenizer,
                      tagger: Tagger | None = None) -> dict:
    """Tokenise the raw text of a CoNLL-U file with `tokenizer`, label its words with
    `tagger` (when given; its `data.conllu_label`, UPOS or XPOS, is scored) and score both
    against the file (`score_segmentation`). The report names the label scored."""
    document = read_conllu_text(gold_path)
    label = "upos" if tagger is None else tagger.model.config.data.conllu_label
    if label not in ("upos", "xpos"):
        raise LstmError(f"scoring from raw text scores UPOS or XPOS, not {label}")
    sentences = [sentence for sentence in tokenizer.split(document.text) if sentence]
    labels = None
    if tagger is not None:
        labels = [tagged.labels for tagged in tagger.iter_predict(
            [word.text for word in words_of(sentence)] for sentence in sentences)]
    gold = gold_segmentation(document, label)
    system = system_segmentation(document.text, sentences, labels)
    pairs = align_words(gold.words, system.words)
    report = score_segmentation(gold, system, labelled=tagger is not None, pairs=pairs)
    report["word_errors"] = error_summary(word_errors(document.text, gold, system, pairs))
    if "label" in report:
        report[label] = report.pop("label")
    report.update(data=str(gold_path), tokenizer=tokenizer.name)
    return report


# The causes `word_errors` names, the first that fits a stretch winning.
ERROR_CAUSES = ("url/email", "multiword token", "sentence boundary", "apostrophe", "hyphen",
                "period", "other")
_URL = re.compile(r"@|://|www\.|\w\.(com|org|net|edu|gov)\b", re.IGNORECASE)
_APOSTROPHES = "'\u2019\u2018`"
_HYPHENS = "-\u2010\u2011\u2012\u2013\u2014"


@dataclass(frozen=True)
class WordError:
    """A stretch `text[start:end]` where the words of the two sides differ: the gold words
    there (`gold`, with `missed` of them unaligned), the system's (`system`, `spurious` of them
    unaligned) and the likely `cause` (one of `ERROR_CAUSES`)."""

    start: int
    end: int
    gold: tuple[str, ...]
    system: tuple[str, ...]
    missed: int
    spurious: int
    cause: str


def word_errors(text: str, gold: Segmentation, system: Segmentation,
                pairs: list[tuple[int, int]] | None = None) -> list[WordError]:
    """The stretches of `text` holding unaligned words (`align_words`, or `pairs` where the
    caller has its result already), in text order.

    Every unaligned word's span is widened to the words of both sides that overlap it (so the
    stretch shows both segmentations of the same characters), and overlapping spans are merged.
    The cause is the first of `ERROR_CAUSES` that fits: a URL or e-mail address in the
    stretch; a multiword token on either side; a sentence that ends inside the stretch or at
    its end on one side only; an apostrophe, hyphen or dash, period in the stretch; other."""
    if pairs is None:
        pairs = align_words(gold.words, system.words)
    gold_unaligned = set(range(len(gold.words))) - {g for g, _ in pairs}
    system_unaligned = set(range(len(system.words))) - {s for _, s in pairs}
    spans = sorted([(gold.words[i].start, gold.words[i].end) for i in gold_unaligned]
                   + [(system.words[i].start, system.words[i].end) for i in system_unaligned])
    sides = [_Spans(gold.words), _Spans(system.words)]
    stretches: list[list[int]] = []
    for start, end in spans:
        start, end = _widen(start, end, sides)
        if stretches and start < stretches[-1][1]:
            stretches[-1][1] = max(stretches[-1][1], end)
        else:
            stretches.append([start, end])
    positions = [index for index, char in enumerate(text) if not char.isspace()]
    gold_ends = {end for _, end in gold.sentences}
    system_ends = {end for _, end in system.sentences}
    errors = []
    for start, end in stretches:
        gold_in = sides[0].starting_in(start, end)
        system_in = sides[1].starting_in(start, end)
        surface = text[positions[start]:positions[end - 1] + 1]
        multiword = any(gold.words[i].multiword for i in gold_in) or any(
            system.words[i].multiword for i in system_in)
        ends = set(range(start + 1, end + 1))
        boundary = (gold_ends & ends) != (system_ends & ends)
        errors.append(WordError(
            positions[start], positions[end - 1] + 1,
            tuple(gold.words[i].form for i in gold_in),
            tuple(system.words[i].form for i in system_in),
            len(gold_unaligned.intersection(gold_in)),
            len(system_unaligned.intersection(system_in)),
            _cause(surface, multiword, boundary)))
    return errors


class _Spans:
    """One side's words (in text order) looked up by position."""

    def __init__(self, words: Sequence[Word]) -> None:
        self.starts = [word.start for word in words]
        self.ends = [word.end for word in words]

    def starting_in(self, start: int, end: int) -> range:
        """Indices of the words that start in `[start, end)`."""
        return range(bisect_left(self.starts, start), bisect_left(self.starts, end))

    def crossing(self, position: int) -> tuple[int, int]:
        """The span of the word that holds `position` strictly inside, else `(position,
        position)`."""
        index = bisect_right(self.starts, position - 1) - 1
        if index >= 0 and self.starts[index] < position < self.ends[index]:
            return self.starts[index], self.ends[index]
        return position, position


def _widen(start: int, end: int, sides: Sequence[_Spans]) -> tuple[int, int]:
    """`[start, end)` widened until no word of either side crosses its edges."""
    while True:
        wider = (min([start, *(side.crossing(start)[0] for side in sides)]),
                 max([end, *(side.crossing(end)[1] for side in sides)]))
        if wider == (start, end):
            return start, end
        start, end = wider


def _cause(surface: str, multiword: bool, boundary: bool) -> str:
    if _URL.search(surface):
        return "url/email"
    if multiword:
        return "multiword token"
    if boundary:
        return "sentence boundary"
    for cause, chars in (("apostrophe", _APOSTROPHES), ("hyphen", _HYPHENS), ("period", ".")):
        if any(char in surface for char in chars):
            return cause
    return "other"


def error_summary(errors: Sequence[WordError], top: int = 20) -> dict:
    """`{by_cause: {cause: {stretches, missed, spurious}}, top: [...]}`: counts per cause (in
    `ERROR_CAUSES` order, causes with no error left out) and the `top` most frequent errors,
    each `{gold, system, cause, count}` with the two segmentations joined by spaces."""
    by_cause = {cause: {"stretches": 0, "missed": 0, "spurious": 0} for cause in ERROR_CAUSES}
    for error in errors:
        counts = by_cause[error.cause]
        counts["stretches"] += 1
        counts["missed"] += error.missed
        counts["spurious"] += error.spurious
    patterns = Counter((" ".join(error.gold), " ".join(error.system), error.cause)
                       for error in errors)
    return {"by_cause": {cause: counts for cause, counts in by_cause.items()
                         if counts["stretches"]},
            "top": [{"gold": gold, "system": system, "cause": cause, "count": count}
                    for (gold, system, cause), count in patterns.most_common(top)]}


def word_errors_text(summary: dict, top: int = 10) -> str:
    """`error_summary`'s counts per cause and its `top` most frequent errors, as text."""
    lines = ["word errors by cause (stretches, gold words missed, system words spurious):"]
    lines += [f"  {cause:<18} {counts['stretches']:5d} {counts['missed']:6d} "
              f"{counts['spurious']:6d}" for cause, counts in summary["by_cause"].items()]
    if summary["top"]:
        lines.append("most frequent (gold | system):")
        lines += [f"  {error['count']:4d}  {error['gold']} | {error['system']}  "
                  f"({error['cause']})" for error in summary["top"][:top]]
    return "\n".join(lines)
