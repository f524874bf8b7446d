"""Queue music and recorded prompts before the agent's first live words.

Many recordings start while the caller is still queueing: hold music on the agent's leg,
sometimes with recorded prompts ("your call is important to us") between the pieces of
music. Whisper's voice activity detector is slow to pick up speech after a long stretch
of music (the first seconds of the agent's greeting are lost), and the opening window of
the rubric would start at the first sound instead of the agent's first live words.

This module finds that prelude from the channel's sound alone, so the channel can be
transcribed from its end. Music is told from speech with two features of the classic
speech/music discriminator (Scheirer and Slaney, ICASSP 1997): music sounds without
the pauses speech has between syllables and words, and its spectrum changes slowly
(low spectral flux), where speech moves from one sound to the next every few
hundredths of a second. A prelude is a chain of music runs from the start of the
channel; speech between them, or before the first, no longer than a recorded prompt
(`MAX_PROMPT_S`), belongs to the prelude too.

Everything here is a pure function of a sample array.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa_pipeline.speech.crosstalk import ACTIVITY_DB, FRAME_S, frame_levels_db

BLOCK_S = 1.0
# A block is music when this share of its frames sound and its mean spectral flux is low.
# Measured on the F02a field case and the generator's hold music: music blocks sound 100 %
# of the time with a flux of 0.01-0.17; speech blocks that sound throughout have a median
# flux of 0.31. Single speech blocks can pass the test (4 of about 4,650 in the 33 sample
# calls and 10 field cases), runs of `MIN_MUSIC_S` never did.
MUSIC_SOUNDING = 0.95
MUSIC_MAX_FLUX = 0.2
# Music shorter than this is not queue music (a ring-back tone, a sustained vowel).
MIN_MUSIC_S = 4.0
# Speech before or between pieces of music up to this long is a recorded prompt.
MAX_PROMPT_S = 15.0
# A pause this long after the music marks where the live speech begins.
_END_PAUSE_S = 0.1
# Frames whose spectra are computed at a time (about 80 s at 20 ms frames): bounded memory.
_FLUX_BLOCK_FRAMES = 4096


@dataclass(frozen=True)
class Prelude:
    """Queue music or prompts at the start of a channel: `end_s` seconds of it (0: none)."""

    end_s: float
    music_s: float

    def __bool__(self) -> bool:
        return self.end_s > 0


NO_PRELUDE = Prelude(0.0, 0.0)


def music_blocks(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """One flag per `BLOCK_S` block of `samples`: does it sound like music?"""
    frame = max(1, int(round(FRAME_S * sample_rate)))
    levels = frame_levels_db(samples, frame)
    per_block = int(round(BLOCK_S / FRAME_S))
    count = len(levels) // per_block
    if count == 0:
        return np.zeros(0, dtype=bool)
    sounding = levels > float(np.percentile(levels, 10)) + ACTIVITY_DB
    flux = _spectral_flux(samples, frame)[: count * per_block].reshape(count, per_block)
    sounding = sounding[: count * per_block].reshape(count, per_block)
    share = sounding.mean(axis=1)
    mean_flux = np.where(share > 0, (flux * sounding).sum(axis=1) / np.maximum(sounding.sum(axis=1), 1), 1.0)
    return (share >= MUSIC_SOUNDING) & (mean_flux <= MUSIC_MAX_FLUX)


def find_prelude(samples: np.ndarray, sample_rate: int) -> Prelude:
    """The queue music (and prompts between it) at the start of one channel.

    Returns `NO_PRELUDE` when the channel does not start with music within
    `MAX_PROMPT_S` of its first block.
    """
    runs = _music_runs(music_blocks(samples, sample_rate))
    end, music = 0, 0
    for first, last in runs:
        if first - end > MAX_PROMPT_S / BLOCK_S:
            break
        end, music = last, music + (last - first)
    if music == 0:
        return NO_PRELUDE
    return Prelude(round(_live_start(samples, sample_rate, end * BLOCK_S), 2), music * BLOCK_S)


def _music_runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(first, past-last) block of each music run at least `MIN_MUSIC_S` long.

    One non-music block inside a run (a drum break, a quiet bar) does not end it.
    """
    runs: list[tuple[int, int]] = []
    start = None
    for i, flag in enumerate(np.append(flags, [False, False])):
        if flag and start is None:
            start = i
        elif not flag and start is not None and not (i + 1 < len(flags) and flags[i + 1]):
            runs.append((start, i))
            start = None
    return [(a, b) for a, b in runs if (b - a) * BLOCK_S >= MIN_MUSIC_S]


def _live_start(samples: np.ndarray, sample_rate: int, music_end_s: float) -> float:
    """The start of the first pause after the music's last whole block (else that block's end)."""
    frame = max(1, int(round(FRAME_S * sample_rate)))
    levels = frame_levels_db(samples, frame)
    quiet = levels <= float(np.percentile(levels, 10)) + ACTIVITY_DB
    first = int(round(music_end_s / FRAME_S))
    need = max(1, int(round(_END_PAUSE_S / FRAME_S)))
    for i in range(first, min(len(quiet), first + int(round(BLOCK_S / FRAME_S)))):
        if quiet[i : i + need].all():
            return i * FRAME_S
    return music_end_s


def _spectral_flux(samples: np.ndarray, frame: int) -> np.ndarray:
    """Per frame: squared change of the unit-norm magnitude spectrum from the frame before.

    Computed `_FLUX_BLOCK_FRAMES` frames at a time, so a long channel needs bounded memory.
    """
    count = len(samples) // frame
    flux = np.zeros(count, dtype=np.float64)
    window, previous = np.hanning(frame), None
    for first in range(0, count, _FLUX_BLOCK_FRAMES):
        last = min(count, first + _FLUX_BLOCK_FRAMES)
        frames = np.asarray(samples[first * frame : last * frame], dtype=np.float64).reshape(last - first, frame)
        spectrum = np.abs(np.fft.rfft(frames * window, axis=1))
        spectrum /= np.linalg.norm(spectrum, axis=1, keepdims=True) + 1e-12
        # The block's first frame is compared with the last frame of the block before.
        joined, start = (spectrum, first + 1) if previous is None else (np.vstack((previous, spectrum)), first)
        flux[start:last] = np.sum(np.square(np.diff(joined, axis=0)), axis=1)
        previous = spectrum[-1:]
    return flux
