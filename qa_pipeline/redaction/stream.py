"""A whole conversation as one text, so recognizers see across utterances and speakers.

Each utterance becomes one line `«tag» text`; the tag names the speaker. A recognizer
reads the lines back with `parse`: the tokens, which line and speaker each belongs to,
and which tokens are tags. A number is looked for in one speaker's tokens with the other
speaker's stepped over, so a number split across two utterances, or interrupted by the
other side, is still one number; the other side's words still count as context (the
agent's "can I take your card number?").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa_pipeline.records import Utterance, ends_sentence
from qa_pipeline.redaction.spoken import Token, tokenize

HARD_BREAK = "\u00b6"
_TAG = re.compile(r"^«([a-z_]+)» ", re.MULTILINE)


@dataclass(frozen=True)
class Line:
    speaker: str
    start: int  # character offsets of the utterance text inside the stream text
    end: int


@dataclass(frozen=True)
class Parsed:
    tokens: tuple[Token, ...]
    line_of: tuple[int, ...]  # line index per token (-1 for tags and breaks)
    lines: tuple[Line, ...]

    def speaker_of(self, index: int) -> str | None:
        line = self.line_of[index]
        return None if line < 0 else self.lines[line].speaker

    def others(self, speaker: str) -> frozenset[int]:
        """Token indices that belong to other speakers or to tags (stepped over in runs)."""
        return frozenset(
            i for i, line in enumerate(self.line_of)
            if (line >= 0 and self.lines[line].speaker != speaker) or (line < 0 and self.tokens[i].text != "\n")
        )

    def speakers(self) -> list[str]:
        return sorted({line.speaker for line in self.lines})

    def words_before(self, index: int, count: int) -> list[str]:
        """Up to `count` lower-case words before token `index`, any speaker."""
        words = [t.lower for j, t in enumerate(self.tokens[:index])
                 if self.line_of[j] >= 0 and (t.text[0].isalnum() or t.text == "@")]
        return words[-count:]

    def words_after(self, index: int, count: int) -> list[str]:
        line = self.line_of[index]
        words = [t.lower for j, t in enumerate(self.tokens[index + 1:], start=index + 1)
                 if self.line_of[j] == line and t.text[0].isalnum()]
        return words[:count]

    def pieces(self, first: int, last: int, speaker: str) -> list[tuple[int, int]]:
        """The character spans of tokens first..last said by `speaker`, one span per line."""
        spans: dict[int, list[int]] = {}
        for i in range(first, last + 1):
            line = self.line_of[i]
            if line >= 0 and self.lines[line].speaker == speaker and not self.tokens[i].is_break:
                spans.setdefault(line, [self.tokens[i].start, self.tokens[i].end])[1] = self.tokens[i].end
        return [(s, e) for s, e in spans.values()]


def build(utterances: Sequence, join_gap_s: float, join_max_words: int = 4) -> tuple[str, list[int]]:
    """The stream text of `utterances` (speaker, start, end, text) and each one's text offset.

    A hard break goes before an utterance that cannot continue its speaker's previous one:
    too long a pause, a finished sentence before it, or a real turn of the other side between.
    """
    parts: list[str] = []
    offsets: list[int] = []
    length = 0
    previous: dict[str, object] = {}
    words_since: dict[str, int] = {}
    for u in utterances:
        before = previous.get(u.speaker)
        joinable = (before is not None and u.start - before.end <= join_gap_s
                    and not ends_sentence(before.text)
                    and words_since.get(u.speaker, 0) <= join_max_words)
        # The break sits inside the speaker's own line: it stops only that speaker's numbers.
        prefix = ("" if not parts else "\n") + f"«{_tag(u.speaker)}» " + ("" if joinable else f"{HARD_BREAK} ")
        offsets.append(length + len(prefix))
        parts.append(prefix + u.text)
        length += len(prefix) + len(u.text)
        previous[u.speaker] = u
        words_since[u.speaker] = 0
        for other in words_since:
            if other != u.speaker:
                words_since[other] += len(u.text.split())
    return "".join(parts), offsets


def _tag(speaker: str) -> str:
    return re.sub(r"[^a-z_]", "_", speaker.lower()) or "unknown"


@functools.lru_cache(maxsize=16)
def parse(text: str) -> Parsed:
    """Tokens and lines of a stream text; a text without tags is one line of 'unknown'."""
    lines: list[Line] = []
    tags = list(_TAG.finditer(text))
    if not tags:
        lines.append(Line("unknown", 0, len(text)))
    for match in tags:
        end = text.find("\n", match.end())
        lines.append(Line(match.group(1), match.end(), len(text) if end < 0 else end))
    tokens = tuple(tokenize(text))
    line_of = []
    li = 0
    for token in tokens:
        while li < len(lines) and token.start >= lines[li].end:
            li += 1
        inside = li < len(lines) and lines[li].start <= token.start < lines[li].end
        line_of.append(li if inside else -1)
    return Parsed(tokens, tuple(line_of), tuple(lines))


def word_offsets(u: Utterance) -> list[tuple[int, int]]:
    """Each word's character span in the utterance text (as `join_words` built it); (-1, -1) if not found."""
    spans, at, previous = [], 0, None
    for word in u.words:
        piece = word.text.strip()
        found = u.text.find(piece, at) if piece else -1
        if found < 0 and spans and piece == previous:
            spans.append(spans[-1])  # placeholder words of one redacted span share its text
            continue
        spans.append((found, found + len(piece)) if found >= 0 else (-1, -1))
        at, previous = (found + len(piece), piece) if found >= 0 else (at, previous)
    return spans
