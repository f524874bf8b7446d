"""Loading recordings: every common format and rate in, 16 kHz float32 channels out."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import resample_poly

from qa_pipeline.errors import RecordingError
from qa_pipeline.records import SAMPLE_RATE
from qa_pipeline.speech.audio import load_audio

from _asr_helpers import clip_path, read_clip

CLIP = "two_speakers"


@pytest.fixture(scope="module")
def reference():
    """The committed clip as the loader returns it: the standard to compare against."""
    return load_audio(clip_path(CLIP))


def write_clip(path, rate, fmt, subtype, channels=(0, 1)):
    data, source_rate = read_clip(CLIP)
    data = data[:, list(channels)]
    if rate != source_rate:
        data = resample_poly(data, rate, source_rate, axis=0).astype(np.float32)
    sf.write(path, data, rate, format=fmt, subtype=subtype)
    return path


def db(samples: np.ndarray) -> float:
    return 10 * np.log10(np.mean(np.square(samples, dtype=np.float64)))


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    n = min(len(a), len(b))
    return float(np.corrcoef(a[:n], b[:n])[0, 1])


FORMATS = [
    # (file name, format, subtype, sample rate, lossless)
    ("pcm16.wav", "WAV", "PCM_16", 8000, True),
    ("pcm8.wav", "WAV", "PCM_U8", 8000, True),
    ("pcm24.wav", "WAV", "PCM_24", 16000, True),
    ("pcm32.wav", "WAV", "PCM_32", 8000, True),
    ("float.wav", "WAV", "FLOAT", 8000, True),
    ("mulaw.wav", "WAV", "ULAW", 8000, True),
    ("alaw.wav", "WAV", "ALAW", 8000, True),
    ("cd.wav", "WAV", "PCM_16", 44100, True),
    ("studio.wav", "WAV", "PCM_16", 48000, True),
    ("call.flac", "FLAC", "PCM_16", 8000, True),
    ("call.w64", "W64", "PCM_16", 8000, True),
    ("call.aiff", "AIFF", "PCM_16", 8000, True),
    ("call.ogg", "OGG", "VORBIS", 16000, False),
    ("call.mp3", "MP3", "MPEG_LAYER_III", 16000, False),
    ("call8k.mp3", "MP3", "MPEG_LAYER_III", 8000, False),
]


@pytest.mark.parametrize("name, fmt, subtype, rate, lossless", FORMATS)
def test_format_loads_as_16k_stereo(tmp_path, reference, name, fmt, subtype, rate, lossless):
    audio = load_audio(write_clip(tmp_path / name, rate, fmt, subtype))
    assert (audio.sample_rate, audio.source_rate, len(audio.channels)) == (SAMPLE_RATE, rate, 2)
    assert all(ch.dtype == np.float32 for ch in audio.channels)
    assert audio.duration_s == pytest.approx(reference.duration_s, abs=0.1)
    for loaded, expected in zip(audio.channels, reference.channels):
        assert db(loaded) == pytest.approx(db(expected), abs=1.5)
        if lossless:
            assert correlation(loaded, expected) > 0.98


def test_source_format_is_recorded(tmp_path):
    audio = load_audio(write_clip(tmp_path / "mulaw.wav", 8000, "WAV", "ULAW"))
    assert (audio.source_format, audio.source_subtype) == ("WAV", "ULAW")


def test_mono_loads_as_one_channel(tmp_path):
    audio = load_audio(write_clip(tmp_path / "mono.wav", 8000, "WAV", "PCM_16", channels=(0,)))
    assert len(audio.channels) == 1 and not audio.is_stereo


def _three_channels(path):
    data, rate = read_clip(CLIP)
    sf.write(path, np.column_stack([data, data[:, 0]]), rate)


def _too_short(path):
    sf.write(path, np.zeros(4000, dtype=np.float32), 8000)


def _truncated_header(path):
    write_clip(path.with_suffix(".full.wav"), 8000, "WAV", "PCM_16")
    path.write_bytes(path.with_suffix(".full.wav").read_bytes()[:30])


def _corrupt_header(path):
    good = bytearray(write_clip(path.with_suffix(".good.wav"), 8000, "WAV", "PCM_16").read_bytes())
    good[8:16] = b"JUNKJUNK"  # where "WAVEfmt " must be
    path.write_bytes(bytes(good))


def _text_file(path):
    path.write_text("Agent notes: customer called about a cleaning appointment.\n" * 20)


def _empty(path):
    path.write_bytes(b"")


def _no_samples(path):
    sf.write(path, np.zeros((0, 2), dtype=np.float32), 8000)


def _folder(path):
    path.mkdir()


BAD_INPUTS = [
    # (file name, how to make it, expected reason)
    ("missing.wav", None, "file not found"),
    ("empty.wav", _empty, "file is empty (0 bytes)"),
    ("silent.wav", _no_samples, "contains no audio samples"),
    ("three.wav", _three_channels, "has 3 channels; expected 1 (mono) or 2 (agent and customer)"),
    ("short.wav", _too_short, "recording is too short (0.50 s; at least 1 s needed)"),
    ("truncated.wav", _truncated_header, "not a readable audio file (damaged or truncated"),
    ("corrupt.wav", _corrupt_header, "not a readable audio file (unrecognised format or damaged header)"),
    ("notes.mp3", _text_file, "not a readable audio file (no WAV, FLAC, OGG, MP3, M4A/AAC, Opus, AMR, WMA or video header)"),
    ("notes.wav", _text_file, "not a readable audio file (no WAV, FLAC, OGG, MP3, M4A/AAC, Opus, AMR, WMA or video header)"),
    ("calls.wav", _folder, "is a folder, not an audio file"),
]


@pytest.mark.parametrize("name, make, reason", BAD_INPUTS)
def test_bad_input_is_rejected_with_file_and_reason(tmp_path, name, make, reason):
    path = tmp_path / name
    if make is not None:
        make(path)
    with pytest.raises(RecordingError) as caught:
        load_audio(path)
    assert caught.value.path == str(path)
    assert str(caught.value).startswith(f"{path}: {reason}")
    assert "\n" not in str(caught.value)
