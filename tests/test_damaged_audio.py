"""Damaged recordings: truncation, clipping, low sample rates, decoder noise on stderr.

Files are made here with soundfile (libsndfile writes WAV, FLAC and MP3 with a Xing
header) from a 6 s two-tone signal, then damaged the way files are damaged in transit.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from qa_pipeline.errors import RecordingError
from qa_pipeline.records import CALL_END
from qa_pipeline.speech.audio import load_audio
from qa_pipeline.speech.damage import Truncation, find_truncation, full_scale, mp3_has_length_header

RATE = 8000


def signal(seconds: float = 6.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    left = 0.3 * np.sin(2 * np.pi * 440 * t)
    return np.stack([left, 0.2 * np.sin(2 * np.pi * 660 * t)], axis=1).astype(np.float32)


def cut(path: Path, keep: float) -> Path:
    payload = path.read_bytes()
    path.write_bytes(payload[: int(len(payload) * keep)])
    return path


@pytest.mark.parametrize(("name", "options"), [("a.wav", {"subtype": "PCM_16"}), ("a.flac", {}), ("a.mp3", {"format": "MP3"})])
def test_a_cut_file_is_decoded_with_a_truncation_warning(tmp_path, name, options):
    path = tmp_path / name
    sf.write(path, signal(), RATE, **options)
    audio = load_audio(cut(path, 0.5))
    promised, decoded = 6.0, audio.duration_s
    assert 1.0 < decoded < 4.0
    warning = f"recording is truncated: the header promises {promised:.1f} s, {decoded:.1f} s decoded"
    assert audio.warnings == (warning,)
    assert audio.missing == {CALL_END: warning}


@pytest.mark.parametrize(("name", "options"), [("a.wav", {"subtype": "PCM_16"}), ("a.flac", {}), ("a.mp3", {"format": "MP3"}),
                                               ("a.ogg", {})])
def test_a_whole_file_has_no_warning(tmp_path, name, options):
    path = tmp_path / name
    sf.write(path, signal(), RATE, **options)
    audio = load_audio(path)
    assert audio.warnings == () and audio.missing == {}


def test_a_wav_still_being_recorded_promises_no_length(tmp_path):
    path = tmp_path / "live.wav"
    sf.write(path, signal(), RATE, subtype="PCM_16")
    payload = bytearray(path.read_bytes())
    data = payload.index(b"data")
    payload[data + 4:data + 8] = (0xFFFFFFFF).to_bytes(4, "little")  # what a recorder writes until it closes
    path.write_bytes(bytes(payload))
    assert load_audio(path).warnings == ()


def test_an_mp3_without_a_xing_header_cannot_be_told_truncated(tmp_path):
    """The documented limit: without a frame count nothing promises the length."""
    path = tmp_path / "a.mp3"
    sf.write(path, signal(), RATE, format="MP3")
    path.write_bytes(path.read_bytes().replace(b"Xing", b"Xxxx", 1))
    assert not mp3_has_length_header(path)
    assert load_audio(cut(path, 0.5)).warnings == ()


@pytest.mark.parametrize(
    ("promised", "decoded", "expected"),
    [(48000, 48000, None), (48000, 47000, None), (48000, 46000, Truncation(6.0, 5.75)), (None, 100, None)],
)
def test_find_truncation_needs_a_clear_margin(promised, decoded, expected):
    assert find_truncation(promised, decoded, RATE) == expected


def test_float_samples_beyond_full_scale_are_scaled_down_with_a_warning(tmp_path):
    path = tmp_path / "hot.wav"
    sf.write(path, signal() * 50, RATE, subtype="FLOAT")
    audio = load_audio(path)
    assert max(float(np.abs(c).max()) for c in audio.channels) <= 1.01
    (warning,) = audio.warnings
    assert warning.startswith("clipping: ") and "of samples are beyond full scale (peak 15 times full scale)" in warning


@pytest.mark.parametrize("subtype", ["FLOAT", "DOUBLE", "PCM_16"])
def test_float_samples_clamped_at_full_scale_are_clipping_as_in_pcm(tmp_path, subtype):
    """A float recorder that clamps at ±1.0 has clipped as an integer one that hits its
    largest code: the same warning, with the same share, for the float file and its
    16-bit conversion."""
    path = tmp_path / f"clamped_{subtype}.wav"
    sf.write(path, np.clip(signal() * 3.5, -1.0, 1.0), RATE, subtype=subtype)
    data, _ = sf.read(path, dtype="float32")
    share = np.mean(np.abs(data) >= 32767 / 32768)
    assert 0.05 < share < 0.2
    (warning,) = load_audio(path).warnings
    assert warning.startswith(f"clipping: {100 * share:.1f} % of samples are at full scale (clipped when recorded)")
    clean = tmp_path / f"clean_{subtype}.wav"
    sf.write(clean, signal(), RATE, subtype=subtype)
    assert load_audio(clean).warnings == ()


def test_clipped_pcm_is_reported_with_its_share():
    data = np.clip(signal() * 4, -1, 1)
    data = np.round(data * 32767) / 32767  # as PCM_16 decodes
    _, warning = full_scale(data.astype(np.float32), "PCM_16")
    share = np.mean(np.abs(data) >= 32767 / 32768) * 100
    assert warning is not None and warning.startswith(f"clipping: {share:.1f} % of samples are at full scale")
    assert full_scale(signal(), "PCM_16")[1] is None  # a clean recording
    codes = np.round(data * 32767).astype(np.int16)  # the loader's int16 codes of the same samples
    assert full_scale(codes, "PCM_16") == (None, warning)
    assert full_scale(np.full_like(codes, -32768), "PCM_16")[1].startswith("clipping: 100.0 %")  # no np.abs overflow


def test_a_sample_rate_below_8_khz_is_rejected(tmp_path):
    path = tmp_path / "old.wav"
    sf.write(path, signal()[::2], RATE // 2)
    with pytest.raises(RecordingError, match="sample rate 4000 Hz is below 8000 Hz"):
        load_audio(path)


def test_decoder_lines_on_stderr_are_logged_with_the_file_name(tmp_path, capfd, caplog):
    path = tmp_path / "cut.mp3"
    sf.write(path, signal(), RATE, format="MP3")
    cut(path, 0.5)
    with caplog.at_level(logging.DEBUG, logger="qa_pipeline.speech.audio"):
        load_audio(path)
    assert capfd.readouterr().err == ""
    said = [r.getMessage() for r in caplog.records if "decoder said" in r.getMessage()]
    assert said and all(m.startswith(f"{path}: decoder said: ") for m in said)
