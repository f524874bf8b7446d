"""Turning timed words into utterances, and merging channels into one conversation."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np

from qa_pipeline.records import Utterance, Word

# Synthetic and real speakers pause up to ~0.9 s inside a turn; turns of one speaker are
# usually further apart, because the other speaker talks in between.
DEFAULT_GAP_S = 0.8
# The other speaker's own sound this long, inside a pause, is a turn of theirs (a short
# answer, a backchannel), even where Whisper recognised no word in it.
MIN_TURN_S = 0.2
# A recognised utterance of the other speaker is a turn inside a pause when at least this
# share of it falls in the pause (Whisper's word times stray by a few tenths of a second).
TURN_INSIDE = 0.5
# Whisper splits some words into pieces that attach to the previous one ("two" "-year").
_ATTACHED_PREFIXES = ("-", "'", "’")
# Scripts written without spaces (kana, kanji, their full-width punctuation): Whisper's
# Japanese words are pieces of a few characters, joined with no space between them
# ("お電話" + "ありがとう"), nor next to a digit ("午前" + "10" + "時").
_UNSPACED = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


def _glue(text: str, piece: str) -> str:
    """What goes between `text` so far and the next word `piece`: a space, or nothing."""
    if not text or piece.startswith(_ATTACHED_PREFIXES):
        return ""
    return " " if spaced(text[-1], piece[0]) else ""


def spaced(last: str, first: str) -> bool:
    """Whether a space separates two words ending in `last` and starting with `first`: not in
    Japanese ("お電話" "ありがとう"), nor between Japanese and a digit ("10" "時")."""
    return not ((_UNSPACED.match(last) and not _latin(first)) or (_UNSPACED.match(first) and not _latin(last)))


def _latin(char: str) -> bool:
    return char.isascii() and char.isalpha()


def join_words(words: Iterable[Word]) -> str:
    """The words as readable text, re-attaching split pieces such as "-year"."""
    text = ""
    for word in words:
        piece = word.text.strip()
        if not piece:
            continue
        text += _glue(text, piece) + piece
    return text


def word_offsets(words: Iterable[Word]) -> list[tuple[int, int]]:
    """Each word's (start, end) character offsets in `join_words(words)`."""
    offsets, text = [], ""
    for word in words:
        piece = word.text.strip()
        glue = len(_glue(text, piece)) if piece else 0
        offsets.append((len(text) + glue, len(text) + glue + len(piece)))
        text += (" " * glue) + piece
    return offsets


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


def split_at_turns(
    utterances: Sequence[Utterance],
    other: Sequence[Utterance],
    other_speech: np.ndarray | None = None,
    frame_s: float = 0.02,
) -> tuple[Utterance, ...]:
    """One channel's utterances, split wherever a turn of the other speaker falls in a pause.

    Utterances are first grouped on Whisper's raw word times; once the times are fitted
    to each channel's speech, a pause inside an utterance can hold the other speaker's
    whole reply ("Can I take your name? [It's Alan.] Thanks, Alan."). A pause between two
    words is split when an `other` utterance lies mostly (`TURN_INSIDE` of its length)
    inside it, or when `other_speech` (one flag per `frame_s` frame: the other speaker's
    own voice) has a run of at least `MIN_TURN_S` wholly inside it. A turn of the other
    speaker that only runs on through a short pause (the speaker talking over them) is
    an overlap, not a turn in the pause. Times in seconds.
    """
    turns = np.array([(u.start, u.end) for u in other], dtype=float).reshape(-1, 2)
    runs = _runs(other_speech, frame_s) if other_speech is not None else np.zeros((0, 2))
    out: list[Utterance] = []
    for utterance in utterances:
        group: list[Word] = []
        for word in utterance.words:
            if group and _turn_between(group[-1].end, word.start, turns, runs):
                out.append(_utterance(group, utterance.speaker, utterance.channel))
                group = []
            group.append(word)
        out.append(_utterance(group, utterance.speaker, utterance.channel) if group else utterance)
    return tuple(out)


def _turn_between(after: float, before: float, turns: np.ndarray, runs: np.ndarray) -> bool:
    if before <= after:
        return False
    overlap = np.minimum(turns[:, 1], before) - np.maximum(turns[:, 0], after)
    if np.any(overlap >= TURN_INSIDE * np.maximum(turns[:, 1] - turns[:, 0], 1e-3)):
        return True
    inside = (runs[:, 0] >= after) & (runs[:, 1] <= before) & (runs[:, 1] - runs[:, 0] >= MIN_TURN_S)
    return bool(inside.any())


def _runs(flags: np.ndarray, frame_s: float) -> np.ndarray:
    """(start, end) seconds of each run of True in `flags`."""
    padded = np.concatenate(([False], np.asarray(flags, dtype=bool), [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return np.column_stack((edges[::2] * frame_s, edges[1::2] * frame_s)) if edges.size else np.zeros((0, 2))
