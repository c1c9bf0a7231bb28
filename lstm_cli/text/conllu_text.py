"""A CoNLL-U file as one raw text with its gold tokens, words and sentences at character offsets.

The text is what the CoNLL 2018 shared task gives a system: every sentence's `# text` (or, when
a sentence has none, its tokens joined as SpaceAfter says), sentences of one paragraph joined by
a space (none when the sentence's last token has SpaceAfter=No), paragraphs (`# newpar`,
`# newdoc`) separated by a blank line. Each gold token is found in the text by its characters
(whitespace aside), so `text[token.start:token.end]` is the token as written in the text.

One reader serves the tokeniser's training data (`chars.py`) and scoring from raw text
(`eval/raw_text.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lstm_cli.data.conllu import FORM, LABEL_FIELDS, NUM_FIELDS
from lstm_cli.data.files import iter_lines, no_sequences
from lstm_cli.errors import DataError

PARAGRAPH_BREAK = "\n\n"


@dataclass
class GoldWord:
    """A syntactic word: its FORM, UPOS and XPOS."""

    form: str
    upos: str
    xpos: str = "_"


@dataclass
class GoldToken:
    """A surface token at `text[start:end]`; a multiword token (`don't`) has several words."""

    start: int
    end: int
    words: list[GoldWord]


@dataclass
class GoldSentence:
    tokens: list[GoldToken]
    line: int                      # the file line of its first comment or word, for errors

    @property
    def start(self) -> int:
        return self.tokens[0].start

    @property
    def end(self) -> int:
        return self.tokens[-1].end


@dataclass
class GoldDocument:
    """The raw text of a whole CoNLL-U file and its gold sentences (in order)."""

    text: str
    sentences: list[GoldSentence] = field(default_factory=list)


@dataclass
class _Block:
    line: int
    text: str | None = None
    new_paragraph: bool = False
    tokens: list[tuple[str, list[GoldWord], bool, int]] = field(default_factory=list)


def read_conllu_text(path: str | Path) -> GoldDocument:
    """The raw text of `path` with gold offsets (see the module docstring). Raises DataError
    when a sentence's `# text` does not hold its tokens."""
    blocks = list(_blocks(path))
    if not blocks:
        raise no_sequences(Path(path))
    parts: list[str] = []
    document = GoldDocument("")
    length = 0
    for index, block in enumerate(blocks):
        if index and block.new_paragraph:
            parts.append(PARAGRAPH_BREAK)
            length += len(PARAGRAPH_BREAK)
        elif index:
            separator = " " if blocks[index - 1].tokens[-1][2] else ""
            parts.append(separator)
            length += len(separator)
        sentence_text = block.text if block.text is not None else "".join(
            form + (" " if space else "") for form, _, space, _ in block.tokens).rstrip()
        document.sentences.append(_locate(block, sentence_text, length, path))
        parts.append(sentence_text)
        length += len(sentence_text)
    document.text = "".join(parts)
    return document


def skip_space(text: str, position: int, stop: int) -> int:
    """The first position from `position` (before `stop`) that is not whitespace."""
    while position < stop and text[position].isspace():
        position += 1
    return position


def _locate(block: _Block, text: str, base: int, path: str | Path) -> GoldSentence:
    """The block's tokens at their offsets in `text` (offsets counted from `base`)."""
    tokens = []
    position = 0
    for form, words, _, line in block.tokens:
        position = skip_space(text, position, len(text))
        start = position
        for char in form:
            if char.isspace():
                continue
            position = skip_space(text, position, len(text))
            if position >= len(text) or text[position] != char:
                raise DataError(f"expected the token {form!r} in the sentence's # text "
                                f"{text!r} at character {start}", path=path, line=line)
            position += 1
        tokens.append(GoldToken(base + start, base + position, words))
    if text[position:].strip():
        raise DataError(f"the sentence's # text goes on after its last token: "
                        f"{text[position:]!r}", path=path, line=block.line)
    return GoldSentence(tokens, block.line)


def _blocks(path: str | Path):
    """The sentences of a CoNLL-U file: `# text`, paragraph marks and tokens with their words."""
    upos, xpos = LABEL_FIELDS["upos"], LABEL_FIELDS["xpos"]
    block: _Block | None = None
    pending_words = 0        # words still to come inside the current multiword token
    for number, line in iter_lines(path):
        if not line.strip():
            if block is not None and block.tokens:
                yield block
            block = None
            continue
        if block is None:
            block = _Block(number)
        if line.startswith("#"):
            key, _, value = line[1:].partition("=")
            key = key.strip()
            if key == "text":
                block.text = value.strip()
            elif key in ("newpar", "newdoc") or key.startswith(("newpar ", "newdoc ")):
                block.new_paragraph = True
            continue
        fields = line.split("\t")
        if len(fields) != NUM_FIELDS:
            raise DataError(f"expected {NUM_FIELDS} tab-separated fields, found {len(fields)}",
                            path=path, line=number)
        ident = fields[0]
        space_after = "SpaceAfter=No" not in fields[9].split("|")
        if "." in ident:
            continue
        if "-" in ident:
            first, _, last = ident.partition("-")
            pending_words = int(last) - int(first) + 1
            block.tokens.append((fields[FORM], [], space_after, number))
            continue
        word = GoldWord(fields[FORM], fields[upos], fields[xpos])
        if pending_words:
            block.tokens[-1][1].append(word)
            pending_words -= 1
        else:
            block.tokens.append((fields[FORM], [word], space_after, number))
    if block is not None and block.tokens:
        yield block
