"""Intonation: does a sentence end on a rising pitch?

A question said in declarative form ("You've already turned the water off at the mains?")
or embedded in a statement often reaches the transcript with a full stop: Whisper writes
what the words say, not how they were said. The speaker's own channel still carries the
question's rise in fundamental frequency (F0) at the end of the sentence. This module
measures that rise, in semitones, at the last word of each sentence, and stores it on the
word (`Word.rise_st`) so the text stages can use it beside the words.

F0 is estimated with the YIN algorithm (de Cheveigné and Kawahara, 2002, JASA 111(4)):
difference function through an FFT autocorrelation, cumulative-mean normalisation, first
dip under a threshold. It is written here with numpy because no F0 library ships with the
project's dependencies (librosa's `pyin` would add librosa and its JIT-compiled numba code
for about 40 lines of arithmetic). Telephone audio has no energy below 300 Hz, but the
harmonics keep the period, so YIN still finds F0 there.

Everything here is a pure function of sample arrays and words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from scipy.signal import medfilt

from qa_pipeline.records import Utterance, ends_sentence

FMIN_HZ = 60.0
FMAX_HZ = 400.0
FRAME_S = 0.04
HOP_S = 0.01
# Aperiodicity threshold: a frame whose normalised difference dips below it is voiced.
YIN_THRESHOLD = 0.3
# A question's terminal contour is a low followed by a rise (L* H-H%); a statement ends on
# its lowest pitch. So the last `FINAL_S` of voiced frames are compared with the low point
# (`LOW_PERCENTILE`) of the voiced frames in the `REFERENCE_S` before them.
FINAL_S = 0.15
REFERENCE_S = 0.6
LOW_PERCENTILE = 10
MIN_VOICED_FRAMES = 6
# Frames this many semitones from the window's median F0 are octave errors, not intonation.
_MAX_JUMP_ST = 7.0
_SMOOTH_FRAMES = 5


def yin_f0(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """F0 in Hz for each `HOP_S` frame of `samples` (NaN where unvoiced or silent).

    Shape: (frames,), frame k centred near k * HOP_S + FRAME_S / 2 seconds.
    """
    frame, hop = int(FRAME_S * sample_rate), int(HOP_S * sample_rate)
    lag_min, lag_max = int(sample_rate / FMAX_HZ), int(sample_rate / FMIN_HZ)
    span = frame + lag_max
    x = np.asarray(samples, dtype=np.float64)
    count = 1 + (len(x) - span) // hop if len(x) >= span else 0
    if count <= 0:
        return np.full(0, np.nan)
    frames = np.lib.stride_tricks.sliding_window_view(x, span)[::hop][:count]
    diff = _difference(frames, frame, lag_max)
    cmnd = diff[:, 1:] * np.arange(1, lag_max + 1) / np.maximum(np.cumsum(diff[:, 1:], axis=1), 1e-12)
    f0 = np.full(count, np.nan)
    loud = np.mean(np.square(frames[:, :frame]), axis=1) > 1e-7
    for k in np.flatnonzero(loud):
        lag = _first_dip(cmnd[k], lag_min - 1)
        if lag is not None:
            f0[k] = sample_rate / (lag + 1)
    return f0


def _difference(frames: np.ndarray, frame: int, lag_max: int) -> np.ndarray:
    """YIN's d(tau) for tau = 0..lag_max, per frame, via an FFT autocorrelation."""
    size = 1 << int(np.ceil(np.log2(frames.shape[1] + frame)))
    head = frames[:, :frame]
    corr = np.fft.irfft(np.conj(np.fft.rfft(head, size)) * np.fft.rfft(frames, size), size)[:, : lag_max + 1]
    energy = np.cumsum(np.square(frames), axis=1)
    energy = np.concatenate([np.zeros((len(frames), 1)), energy], axis=1)
    shifted = energy[:, frame : frame + lag_max + 1] - energy[:, : lag_max + 1]
    return np.maximum(energy[:, frame : frame + 1] + shifted - 2 * corr, 0.0)


def _first_dip(cmnd: np.ndarray, start: int) -> int | None:
    """The deepest dip, when it is under the threshold.

    YIN proper takes the first dip under the threshold; on telephone audio, with the
    fundamental filtered out, that is often the second or third harmonic's period.
    """
    lag = start + int(np.argmin(cmnd[start:]))
    return lag if cmnd[lag] < YIN_THRESHOLD else None


def final_rise_st(samples: np.ndarray, sample_rate: int, end_s: float, start_s: float = 0.0) -> float | None:
    """How far F0 rises (semitones; negative for a fall) at a sentence ending at `end_s`.

    The median F0 of the last `FINAL_S` of voiced frames before `end_s` against the low
    point of the voiced frames in the `REFERENCE_S` before them, never reaching back
    before `start_s`.
    None when too few frames are voiced to tell.
    """
    first = max(start_s, end_s - REFERENCE_S - FINAL_S, 0.0)
    lo, hi = int(first * sample_rate), int(min(end_s + FRAME_S, len(samples) / sample_rate) * sample_rate)
    f0 = yin_f0(samples[lo:hi], sample_rate)
    voiced = np.flatnonzero(np.isfinite(f0))
    if voiced.size < MIN_VOICED_FRAMES:
        return None
    semitones = 12 * np.log2(f0[voiced] / np.median(f0[voiced]))
    keep = np.abs(semitones) <= _MAX_JUMP_ST
    voiced, semitones = voiced[keep], semitones[keep]
    if voiced.size < MIN_VOICED_FRAMES:
        return None
    # One- and two-frame glitches (creak, a harmonic taken for F0) are not intonation.
    semitones = medfilt(semitones, _SMOOTH_FRAMES)
    final = voiced >= voiced[-1] - int(round(FINAL_S / HOP_S))
    if final.all() or np.count_nonzero(final) < 3:
        return None
    return round(float(np.median(semitones[final]) - np.percentile(semitones[~final], LOW_PERCENTILE)), 2)


def with_final_rises(utterances: Sequence[Utterance], samples: np.ndarray, sample_rate: int) -> tuple[Utterance, ...]:
    """The utterances with `rise_st` set on each word that ends a sentence.

    `samples` is the utterances' own channel. A sentence ends at a word ending in
    `records.SENTENCE_ENDS` and at the utterance's last word; the rise is measured no further back
    than the sentence's start.
    """
    out = []
    for utterance in utterances:
        words = list(utterance.words)
        start = utterance.start
        for i, word in enumerate(words):
            if i == len(words) - 1 or ends_sentence(word.text):
                words[i] = replace(word, rise_st=final_rise_st(samples, sample_rate, word.end, start))
                start = words[i + 1].start if i + 1 < len(words) else start
        out.append(replace(utterance, words=tuple(words)))
    return tuple(out)

