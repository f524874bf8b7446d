"""Turning timed words into utterances, and merging channels into one conversation."""

from __future__ import annotations

from typing import Iterable, Sequence

from qa_pipeline.records import Utterance, Word

# Synthetic and real speakers pause up to ~0.9 s inside a turn; turns of one speaker are
# usually further apart, because the other speaker talks in between.
DEFAULT_GAP_S = 0.8
# Whisper splits some words into pieces that attach to the previous one ("two" "-year").
_ATTACHED_PREFIXES = ("-", "'", "’")


def join_words(words: Iterable[Word]) -> str:
    """The words as readable text, re-attaching split pieces such as "-year"."""
    text = ""
    for word in words:
        piece = word.text.strip()
        if not piece:
            continue
        glue = "" if not text or piece.startswith(_ATTACHED_PREFIXES) else " "
        text += glue + piece
    return text


def split_utterances(
    words: Sequence[Word], speaker: str, channel: int | None, gap_s: float = DEFAULT_GAP_S
) -> tuple[Utterance, ...]:
    """Group one channel's words into utterances wherever the pause exceeds `gap_s`."""
    ordered = sorted((w for w in words if w.text.strip()), key=lambda w: (w.start, w.end))
    groups: list[list[Word]] = []
    for word in ordered:
        if groups and word.start - groups[-1][-1].end <= gap_s:
            groups[-1].append(word)
        else:
            groups.append([word])
    return tuple(_utterance(group, speaker, channel) for group in groups)


def merge_channels(*utterances: Iterable[Utterance]) -> tuple[Utterance, ...]:
    """All channels' utterances in one time-ordered sequence."""
    merged = [u for group in utterances for u in group]
    return tuple(sorted(merged, key=lambda u: (u.start, u.end, u.channel or 0)))


def _utterance(words: list[Word], speaker: str, channel: int | None) -> Utterance:
    return Utterance(
        speaker=speaker,
        start=words[0].start,
        end=max(w.end for w in words),
        text=join_words(words),
        words=tuple(words),
        channel=channel,
    )
