"""Is a stereo recording really one mix on both channels (or the very same samples)?

Some recorders save a mono mix as stereo: both channels carry the whole conversation,
sometimes a few milliseconds apart or at different levels. Sample equality misses
those, so the test is the peak of the normalised cross-correlation of the two channels
over small lags: a copy of one mix scores close to 1 whatever its delay or gain, while
two speaker channels with the usual crosstalk leak (15-30 dB down) score below 0.2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import fftconvolve

# Delays between the copies of one mix: a recorder adds a few ms (F04: 2 ms), but a mix
# recorded twice through separate paths (a conference bridge and a trunk tap) can be
# hundreds of ms apart (issue 22: 500 ms was missed, every line transcribed twice).
# The full cross-correlation is computed at every lag anyway; 2 s costs nothing more.
MAX_LAG_S = 2.0
# A peak correlation at or above this means one mix. Same mix with a 2 ms offset and a
# 0.5 dB step: 0.99+; sample calls with a -25 dB leak: below 0.1 (tests/test_mix.py).
SAME_MIX_CORRELATION = 0.8
# The check reads at most this much of the recording, from its start.
EXCERPT_S = 60.0
# Channels whose difference is this far below their level are copies of each other.
SAME_CHANNELS_DB = -40.0


@dataclass(frozen=True)
class MixCheck:
    """The result of comparing two channels: peak correlation (0-1) and the lag (s) it is at.

    A positive `lag_s` means the right channel comes later than the left.
    """

    correlation: float
    lag_s: float

    @property
    def same_mix(self) -> bool:
        return self.correlation >= SAME_MIX_CORRELATION


def compare_channels(left: np.ndarray, right: np.ndarray, sample_rate: int) -> MixCheck:
    """Peak normalised cross-correlation of two channels within +-`MAX_LAG_S`.

    Shapes: two 1-D float arrays of the same rate. A silent channel gives correlation 0.
    """
    count = min(len(left), len(right), int(EXCERPT_S * sample_rate))
    # float32 halves the FFTs' time; the energies are summed in float64.
    a = np.asarray(left[:count], dtype=np.float32)
    b = np.asarray(right[:count], dtype=np.float32)
    a, b = a - a.mean(), b - b.mean()
    norm = float(np.sqrt(np.square(a, dtype=np.float64).sum() * np.square(b, dtype=np.float64).sum()))
    if norm == 0.0:
        return MixCheck(0.0, 0.0)
    max_lag = min(int(MAX_LAG_S * sample_rate), count - 1)
    # Full cross-correlation by FFT; index count-1 is lag 0, higher indices mean b is later.
    full = fftconvolve(b, a[::-1], mode="full")
    window = full[count - 1 - max_lag: count + max_lag]
    best = int(np.argmax(np.abs(window)))
    return MixCheck(round(float(abs(window[best]) / norm), 4), round((best - max_lag) / sample_rate, 4))


def is_same_mix(left: np.ndarray, right: np.ndarray, sample_rate: int) -> bool:
    """Whether both channels carry the same mix (see `compare_channels`)."""
    return compare_channels(left, right, sample_rate).same_mix


def is_same_audio(left: np.ndarray, right: np.ndarray) -> bool:
    """Whether two channels carry the same samples: their difference is `SAME_CHANNELS_DB` or more below the left."""
    power = _energy(left)
    if power == 0.0:
        return not any(np.any(right[i : i + _BLOCK]) for i in range(0, len(right), _BLOCK))
    difference = sum(_energy(left[i : i + _BLOCK] - right[i : i + _BLOCK]) for i in range(0, len(left), _BLOCK))
    return 10 * np.log10(max(difference, 1e-20) / power) < SAME_CHANNELS_DB


# Samples read and differenced at a time: no whole long channel is computed or copied
# (the channels may be `speech.audio.Channel`s, resampled a stretch at a time).
_BLOCK = 1 << 20


def _energy(samples: np.ndarray) -> float:
    """Sum of squares (float32 dot products, summed as float64 block by block)."""
    return sum(float(np.dot(block, block)) for block in (samples[i : i + _BLOCK] for i in range(0, len(samples), _BLOCK)))
