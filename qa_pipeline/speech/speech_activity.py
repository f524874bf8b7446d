"""Where each channel of a call really carries its own speaker's voice, and word times fitted to it.

Whisper tiny.en places word boundaries loosely: a reply's first word often starts in
the pause before it (or over the leaked end of the other speaker's turn), and a turn's
last word often runs on into the silence after it. On a two-channel recording the
channel's own energy says when its speaker made sound: a frame is the speaker's own
speech when it is well above the channel's noise floor and not just a quiet copy of
a much louder other channel (line crosstalk). Word times are trimmed to those frames,
so that overlaps between the speakers are measured where both really spoke.

Everything here is a pure function of sample arrays and words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from qa_pipeline.records import Utterance, Word
from qa_pipeline.speech.crosstalk import ACTIVITY_DB, DEFAULT_MARGIN_DB, FRAME_S, frame_levels_db, noise_floor_db

# A frame is the channel's own speaker only when it is this much louder than leakage of
# the other channel would be: leaked frames scatter a few dB around the line's loss.
LEAK_HEADROOM_DB = 8.0
# Speech spans about this much below the channel's loud speech (its 95th percentile frame
# level). On a recording with a near-digital-silence floor (-80 dBFS, as on separately
# recorded call legs) breath and room noise 15 dB over the floor are not speech.
SPEECH_RANGE_DB = 35.0
# Frames this far above their channel's noise floor are surely speech.
_LOUD_DB = 30.0
_MIN_LOUD_FRAMES = 50
# Sound shorter than this on its own (a click, a leak peak that got through) is not speech.
MIN_SOUND_S = 0.06
# Whisper tiny.en drops or truncates a turn's first or last words now and then; sound
# that runs on from an utterance's edge with no real pause still belongs to it. A pause
# longer than this ends the run, and a run is followed at most this far.
MAX_RUN_GAP_S = 0.25
MAX_EXTEND_S = 3.0
# No word lasts longer than this. Whisper stretches a turn's first word back over a long
# silence (or the other speaker's whole turn) and its last word on over one; a fitted
# span this long keeps only the burst of sound next to the rest of the utterance.
MAX_WORD_S = 1.0


def own_speech_frames(own: np.ndarray, other: np.ndarray | None, sample_rate: int) -> np.ndarray:
    """One flag per `FRAME_S` frame: does `own` carry its own speaker's voice there?

    A frame counts when it is `ACTIVITY_DB` above the channel's noise floor (and within
    `SPEECH_RANGE_DB` of its loud speech) and, with
    a second channel given, clearly louder than that channel's leak into this one
    would be (see `crosstalk_loss_db`): quieter frames are the other speaker heard
    across the line, while both speakers talking at once keeps both channels loud.
    """
    frame = max(1, int(round(FRAME_S * sample_rate)))
    levels = frame_levels_db(own, frame)
    if levels.size == 0:
        return np.zeros(0, dtype=bool)
    # Digital silence between turns (recorders that suppress it) counts as the floor:
    # then any sound above it is signal.
    floor = max(float(np.percentile(levels, 10)) + ACTIVITY_DB, float(np.percentile(levels, 95)) - SPEECH_RANGE_DB)
    active = levels > floor
    if other is not None:
        other_levels = np.full_like(levels, -np.inf)
        heard = frame_levels_db(other, frame)[: len(levels)]
        other_levels[: len(heard)] = heard
        loss = crosstalk_loss_db(levels, other_levels)
        active &= levels - other_levels > loss + LEAK_HEADROOM_DB
    return without_short_runs(active, int(round(MIN_SOUND_S / FRAME_S)))


def without_short_runs(flags: np.ndarray, min_length: int) -> np.ndarray:
    """`flags` with every run of consecutive True shorter than `min_length` cleared."""
    padded = np.concatenate(([False], flags, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    kept = np.zeros_like(flags)
    for start, stop in zip(edges[::2], edges[1::2]):
        if stop - start >= min_length:
            kept[start:stop] = True
    return kept


def crosstalk_loss_db(own_levels: np.ndarray, other_levels: np.ndarray) -> float:
    """How far (dB, negative) the other channel's speech arrives attenuated in this one.

    Measured as the median level difference over frames where the other channel is
    loud: most of them are the other speaker alone, heard here only as leakage. With
    too little loud speech on the other channel, `-DEFAULT_MARGIN_DB - LEAK_HEADROOM_DB`
    stands in, which makes the test the crosstalk stage's margin.
    """
    finite = other_levels[np.isfinite(other_levels)]
    if finite.size == 0:
        return -DEFAULT_MARGIN_DB - LEAK_HEADROOM_DB
    loud = other_levels > noise_floor_db(finite) + _LOUD_DB
    if np.count_nonzero(loud) < _MIN_LOUD_FRAMES:
        return -DEFAULT_MARGIN_DB - LEAK_HEADROOM_DB
    return float(np.median(own_levels[loud] - other_levels[loud]))


def fit_words(words: Sequence[Word], active: np.ndarray, frame_s: float = FRAME_S) -> tuple[Word, ...]:
    """Each word trimmed to the frames of its span where its speaker made sound.

    A word whose span holds no such frame was placed in a pause or over the other
    speaker; it keeps its text but shrinks to the point where the fitted word before
    it ended (or, for leading words, where the next fitted word starts). When no word
    has a sounding frame there is no evidence to fit to, and the words are kept. A span
    longer than `MAX_WORD_S` keeps only its burst of sound nearest the other words: the
    last for an utterance's first word, the first for any other.
    """
    spans = [_sounding_span(w, active, frame_s, last_burst=i == 0 and len(words) > 1) for i, w in enumerate(words)]
    if all(span is None for span in spans):
        return tuple(words)
    fitted: list[Word] = []
    for i, (word, span) in enumerate(zip(words, spans)):
        if span is None:
            anchor = fitted[-1].end if fitted else next(s for s in spans[i:] if s is not None)[0]
            span = (anchor, anchor)
        fitted.append(replace(word, start=span[0], end=span[1]))
    return tuple(fitted)


def fit_utterance(
    utterance: Utterance,
    active: np.ndarray,
    frame_s: float = FRAME_S,
    bounds: tuple[float, float] = (0.0, float("inf")),
) -> Utterance:
    """The utterance with its words fitted to its channel's speech, and its span to its words.

    Sound that runs on directly before the first or after the last word (see
    `MAX_RUN_GAP_S`) is added to those words, but never beyond `bounds`, the
    neighbouring utterances of the same channel.
    """
    if not utterance.words:
        return utterance
    words = list(fit_words(utterance.words, active, frame_s))
    first, last = words[0], words[-1]
    start = max(bounds[0], _run_edge(active, first.start, -1, frame_s))
    end = min(bounds[1], _run_edge(active, last.end, +1, frame_s))
    words[0] = replace(first, start=round(min(first.start, start), 3))
    words[-1] = replace(words[-1], end=round(max(words[-1].end, end), 3))
    return replace(utterance, words=tuple(words), start=words[0].start, end=max(w.end for w in words))


def fit_channel(utterances: Sequence[Utterance], active: np.ndarray, frame_s: float = FRAME_S) -> tuple[Utterance, ...]:
    """`fit_utterance` for one channel's time-ordered utterances, each kept clear of its neighbours."""
    fitted = []
    for i, utterance in enumerate(utterances):
        before = fitted[-1].end if fitted else 0.0
        after = utterances[i + 1].start if i + 1 < len(utterances) else float("inf")
        fitted.append(fit_utterance(utterance, active, frame_s, (before, after)))
    return tuple(fitted)


def _run_edge(active: np.ndarray, at: float, step: int, frame_s: float) -> float:
    """How far sound runs on from time `at` in direction `step` (-1 back, +1 on), as a time."""
    gap_frames = int(round(MAX_RUN_GAP_S / frame_s))
    first = int(round(at / frame_s)) - (step < 0)
    edge, quiet = at, 0
    for frame in range(first, first + step * int(round(MAX_EXTEND_S / frame_s)), step):
        if not 0 <= frame < len(active) or quiet > gap_frames:
            break
        if active[frame]:
            quiet, edge = 0, frame * frame_s if step < 0 else (frame + 1) * frame_s
        else:
            quiet += 1
    return edge


def _sounding_span(word: Word, active: np.ndarray, frame_s: float, last_burst: bool = False) -> tuple[float, float] | None:
    first = max(0, int(np.floor(word.start / frame_s)))
    last = min(len(active), max(first + 1, int(np.ceil(word.end / frame_s))))
    hits = np.flatnonzero(active[first:last])
    if hits.size == 0:
        return None
    if (hits[-1] + 1 - hits[0]) * frame_s > MAX_WORD_S:
        bursts = np.split(hits, np.flatnonzero(np.diff(hits) > MAX_RUN_GAP_S / frame_s) + 1)
        hits = bursts[-1] if last_burst else bursts[0]
    start = max(word.start, (first + hits[0]) * frame_s)
    end = min(word.end, (first + hits[-1] + 1) * frame_s)
    return round(start, 3), round(max(start, end), 3)
