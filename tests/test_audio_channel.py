"""Decoded channels computed a stretch at a time (`speech.audio.Channel`): the same samples as
resampling the whole recording at once, and stages that hold stretches, not whole channels."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from scipy.signal import resample_poly

from qa_pipeline.records import SAMPLE_RATE
from qa_pipeline.redaction.audio import silence_spans
from qa_pipeline.speech import audio
from qa_pipeline.speech.crosstalk import suppress_crosstalk
from qa_pipeline.speech.decoding import piece_bounds
from qa_pipeline.speech.mix import is_same_audio, is_same_mix
from qa_pipeline.speech.prelude import find_prelude
from qa_pipeline.speech.speech_activity import own_speech_frames


def _source(rate: int, kind: str, seconds: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "int16":
        return (rng.standard_normal(int(seconds * rate) + 7) * 3000).astype(np.int16)
    return np.clip(0.3 * rng.standard_normal(int(seconds * rate) + 7), -1, 1).astype(np.float32)


@pytest.mark.parametrize("rate", [8000, 11025, 16000, 44100, 48000])
@pytest.mark.parametrize("kind", ["int16", "float32"])
def test_any_stretch_equals_the_whole_signal_resampled(monkeypatch, rate, kind):
    """Bit for bit, whatever stretch is read first and whatever the cache holds."""
    monkeypatch.setattr(audio, "BLOCK_FRAMES", 1 << 13)  # several blocks per stretch
    monkeypatch.setattr(audio, "CACHE_SAMPLES", 1 << 14)  # a channel longer than the cache
    source = _source(rate, kind, 2.1, rate)
    g = np.gcd(rate, SAMPLE_RATE)
    whole = resample_poly(audio.as_float(source), SAMPLE_RATE // g, rate // g).astype(np.float32)
    channel = audio.Channel(source, rate)
    assert (len(channel), channel.shape, channel.dtype) == (len(whole), whole.shape, np.float32)
    rng = np.random.default_rng(1)
    for _ in range(12):
        a, b = sorted(int(x) for x in rng.integers(0, len(whole) + 1, 2))
        assert np.array_equal(channel[a:b], whole[a:b]), (a, b)
        rest = channel[a:]  # no end: still a Channel, nothing computed
        assert isinstance(rest, audio.Channel) and len(rest) == len(whole) - a
        c = int(rng.integers(0, len(rest) + 1))
        assert np.array_equal(rest[c : c + 5000], whole[a + c : a + c + 5000])
    assert np.array_equal(np.asarray(channel), whole)
    assert channel[-1] == whole[-1] and np.array_equal(channel + channel, whole + whole)


def test_a_short_channel_is_resampled_once(monkeypatch):
    calls = []
    real = audio._resampled
    monkeypatch.setattr(audio, "_resampled", lambda *args: calls.append(args[3:]) or real(*args))
    channel = audio.Channel(_source(8000, "int16", 60.0), 8000)
    for start in range(0, len(channel), 4096):
        channel[start : start + 4096]
    np.asarray(channel)
    assert calls == [(0, len(channel))]


def _stereo_stages_peak(seconds: int) -> int:
    """Peak bytes traced while the stereo stages around transcription read a call of `seconds`
    (its source codes made beforehand), as `asr._transcribe_stereo` runs them."""
    rate = 8000
    t = np.arange(seconds * rate) / rate
    speech = (np.sin(2 * np.pi * 0.3 * t) > 0) * np.sin(2 * np.pi * 180 * t) * 8000  # turns of a tone
    noise = np.random.default_rng(0).standard_normal((len(t), 2)) * 50
    codes = (np.stack((speech, speech[::-1]), axis=1) + noise).astype(np.int16)
    del t, speech, noise
    left, right = audio.Channel(codes[:, 0], rate), audio.Channel(codes[:, 1], rate)
    tracemalloc.start()
    try:
        is_same_audio(left, right) or is_same_mix(left, right, SAMPLE_RATE)
        for channel in (left, right):
            find_prelude(channel, SAMPLE_RATE)
            rest = channel[0:]  # as `asr.live_words` hands a channel to transcription
            for start, end in piece_bounds(rest, 60.0):
                piece = rest[start:end]
                del piece
        active = [own_speech_frames(left, right, SAMPLE_RATE), own_speech_frames(right, left, SAMPLE_RATE)]
        suppress_crosstalk(((), ()), (left, right), SAMPLE_RATE, own_speech=active)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_stages_hold_stretches_not_whole_channels(monkeypatch):
    """A call three times as long costs the stages (beyond its source codes) no more memory
    than a short one but for their per-frame results (a float64 level per 20 ms frame is
    1/160 of a 16 kHz channel; 4.0 MB more for the 4 minutes more, measured): they hold
    blocks and pieces, never a whole 16 kHz channel (15 MB more for those 4 minutes: with
    one stage reading its channel whole, the difference was 26 MB)."""
    monkeypatch.setattr(audio, "CACHE_SAMPLES", 1 << 18)
    short, long = _stereo_stages_peak(120), _stereo_stages_peak(360)
    more_channels = 2 * 240 * SAMPLE_RATE * 4
    assert long - short < more_channels / 4, (short, long)


def test_muting_in_place_equals_muting_a_copy():
    samples = (np.random.default_rng(3).standard_normal((80_000, 2)) * 4000).astype(np.int16)
    spans = [(0.5, 1.2), (1.25, 2.0), (9.9, 11.0)]
    copied = silence_spans(samples, 8000, spans, 0.15, 0.01)
    inside = samples.copy()
    assert silence_spans(inside, 8000, spans, 0.15, 0.01, in_place=True) is inside
    assert np.array_equal(inside, copied) and not np.array_equal(samples, copied)
