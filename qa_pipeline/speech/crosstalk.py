"""Crosstalk and echo suppression for two-channel recordings.

On a real call-centre line each channel leaks: the customer channel often carries a
quiet copy of the agent's voice (typically 15-30 dB down), and Whisper transcribes it.
A word heard on both channels at the same time belongs to the channel where it is
louder. A word is dropped when the other channel heard words over the same span and
was much louder there; when both channels are loud (a real interruption), both keep
their words.

The other channel does not always recognise the word it leaked: Whisper on the speaker's
own channel drops a word now and then ("have a nice day" heard as "have a nice"), and
the echo ("day?") would then survive and be glued to the other speaker's next line. So a
word is also dropped, with no matching word, when the channels' energy alone says it is
a leak: the other channel is louder by the margin over the word, and the word's own
channel has no frame of its own speaker's voice there (see
`qa_pipeline.speech.speech_activity.own_speech_frames`).

Most leak is not decoded at all: `leak_spans` finds where a channel carries only the
other party's voice, and those stretches are cut out of what Whisper hears (see
`qa_pipeline.speech.decoding.compacted`), so it spends no time on words the checks above
would drop. The spans keep `LEAK_PAD_S` clear of the channel's own speaker's voice.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qa_pipeline.records import Word

DEFAULT_MARGIN_DB = 12.0
# Word timestamps from Whisper drift by a few tenths of a second; leaked copies also lag.
OVERLAP_TOLERANCE_S = 0.25
# Levels are compared over the word's span widened to at least this, centred on the word:
# Whisper gives some words no duration, or places them in the pause beside the speech.
MIN_WINDOW_S = 0.4
FRAME_S = 0.02
# A frame counts as sound, not line noise, this far above the quieter channel's noise floor.
ACTIVITY_DB = 10.0
_SILENCE_DB = -200.0
# A channel's leak is left undecoded only this far (seconds) from every frame of its own
# speaker's voice, so word edges, quiet syllables next to loud ones and the onsets of
# replies over the other speaker are decoded as before.
LEAK_PAD_S = 0.4


def suppress_crosstalk(
    words: Sequence[Sequence[Word]],
    channels: Sequence[np.ndarray],
    sample_rate: int,
    margin_db: float = DEFAULT_MARGIN_DB,
    own_speech: Sequence[np.ndarray] | None = None,
) -> tuple[tuple[Word, ...], ...]:
    """Drop words a channel only heard as leakage from the other channel.

    `words[i]` are the words recognised on `channels[i]`. A word on one channel is
    dropped when, over the word's active frames, the other channel is louder by more
    than `margin_db` decibels, and either the other channel has an overlapping word or
    `own_speech[i]` (one flag per `FRAME_S` frame: channel i's own speaker is talking)
    has no frame in the word's window. Anything but two channels is returned unchanged.
    """
    if len(words) != 2 or len(channels) != 2:
        return tuple(tuple(w) for w in words)
    frame = max(1, int(FRAME_S * sample_rate))
    levels = (frame_levels_db(channels[0], frame), frame_levels_db(channels[1], frame))
    floor = min(noise_floor_db(levels[0]), noise_floor_db(levels[1])) + ACTIVITY_DB
    frame_rate = sample_rate / frame
    spans = tuple(_spans(w) for w in words)

    def is_leak(word: Word, own: int) -> bool:
        other = 1 - own
        if level_difference_db(word, levels[own], levels[other], floor, frame_rate) <= margin_db:
            return False
        starts, ends = spans[other]
        tolerance = OVERLAP_TOLERANCE_S
        if np.any((starts < word.end + tolerance) & (word.start < ends + tolerance)):
            return True
        return own_speech is not None and not _speaks_in(word, own_speech[own], frame_rate)

    return tuple(tuple(w for w in words[own] if not is_leak(w, own)) for own in (0, 1))


def leak_spans(own_speech: np.ndarray, other_speech: np.ndarray, frame_s: float = FRAME_S,
               pad_s: float = LEAK_PAD_S) -> tuple[tuple[float, float], ...]:
    """(start, end) seconds where a channel carries only the other party's voice: leak to leave undecoded.

    `own_speech` and `other_speech` flag, per `frame_s` frame, where this channel's and
    the other channel's own speakers talk (`own_speech_frames`). A span is where the
    other speaker talks and this one does not, each widened by `pad_s` on both sides
    (this channel's speech wins): overlapped speech, where both talk, is never in a span.
    """
    pad = int(round(pad_s / frame_s))
    length = min(len(own_speech), len(other_speech))
    leak = _widened(other_speech[:length], pad) & ~_widened(own_speech[:length], pad)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], leak.astype(np.int8), [0]))))
    return tuple((round(float(a * frame_s), 3), round(float(b * frame_s), 3)) for a, b in zip(edges[::2], edges[1::2]))


def _widened(flags: np.ndarray, pad: int) -> np.ndarray:
    """`flags` with every True frame spread `pad` frames to each side."""
    if pad <= 0 or not flags.any():
        return flags.astype(bool)
    counts = np.convolve(flags.astype(np.int32), np.ones(2 * pad + 1, dtype=np.int32), mode="same")
    return counts > 0


# Frames converted to float64 at a time: a long call's levels then cost a few MB, not a
# float64 copy of the whole channel (about 230 MB per channel for 30 minutes at 16 kHz).
_LEVEL_BLOCK_FRAMES = 4096


def frame_levels_db(samples: np.ndarray, frame: int) -> np.ndarray:
    """Power in dB of each `frame`-sample frame (the last partial frame is dropped)."""
    count = len(samples) // frame
    power = np.empty(count, dtype=np.float64)
    for first in range(0, count, _LEVEL_BLOCK_FRAMES):
        last = min(count, first + _LEVEL_BLOCK_FRAMES)
        frames = np.asarray(samples[first * frame : last * frame], dtype=np.float64).reshape(last - first, frame)
        power[first:last] = np.mean(np.square(frames), axis=1)
    return np.where(power > 0, 10 * np.log10(np.maximum(power, 1e-20)), _SILENCE_DB)


def level_difference_db(
    word: Word, own: np.ndarray, other: np.ndarray, floor_db: float, frame_rate: float
) -> float:
    """How much louder (dB) the other channel is over the word's active frames.

    Frames where neither channel rises above `floor_db` (pauses inside the span) carry
    no evidence and are ignored; with no active frame at all the answer is 0. Energy,
    not a per-frame median, so that a real word overlapping the other speaker is judged
    by its loud syllables rather than its quiet ones.
    """
    first, last = _window(word, frame_rate, len(own))
    own_span, other_span = own[first:last], other[first:last]
    active = np.maximum(own_span, other_span) > floor_db
    if not active.any():
        return 0.0
    return _mean_db(other_span[active]) - _mean_db(own_span[active])


def _speaks_in(word: Word, own_speech: np.ndarray, frame_rate: float) -> bool:
    first, last = _window(word, frame_rate, len(own_speech))
    return bool(own_speech[first:last].any())


def _spans(words: Sequence[Word]) -> tuple[np.ndarray, np.ndarray]:
    return np.array([w.start for w in words], dtype=float), np.array([w.end for w in words], dtype=float)


def _window(word: Word, frame_rate: float, length: int) -> tuple[int, int]:
    middle = (word.start + word.end) / 2
    half = max(word.end - word.start, MIN_WINDOW_S) / 2
    first = max(0, int((middle - half) * frame_rate))
    last = min(length, max(first + 1, int(np.ceil((middle + half) * frame_rate))))
    return first, last


def noise_floor_db(levels: np.ndarray) -> float:
    """The channel's line-noise level: the 10th percentile of its audible frame levels (dB)."""
    audible = levels[levels > _SILENCE_DB]
    return float(np.percentile(audible, 10)) if audible.size else _SILENCE_DB


def _mean_db(levels_db: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.power(10.0, levels_db / 10))))
