"""Decoding in blocks gives the same 16 kHz channels as resampling the whole recording at once."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import resample_poly

from qa_pipeline.records import SAMPLE_RATE
from qa_pipeline.speech import audio


@pytest.mark.parametrize("rate", [8000, 11025, 16000, 22050, 44100, 48000])
@pytest.mark.parametrize("block", [997, 4096])
def test_blocks_equal_the_whole_signal(tmp_path, monkeypatch, rate, block):
    rng = np.random.default_rng(rate)
    # Within full scale: louder float samples are scaled down on load (a clipping warning).
    data = np.clip(0.3 * rng.standard_normal((int(2.3 * rate), 2)), -0.99, 0.99).astype(np.float32)
    path = tmp_path / "call.wav"
    sf.write(path, data, rate, subtype="FLOAT")
    monkeypatch.setattr(audio, "BLOCK_FRAMES", block)
    loaded = audio.load_audio(path)
    for channel in range(2):
        g = np.gcd(rate, SAMPLE_RATE)
        whole = resample_poly(data[:, channel], SAMPLE_RATE // g, rate // g).astype(np.float32)
        assert loaded.channels[channel].shape == whole.shape
        np.testing.assert_allclose(loaded.channels[channel], whole, atol=1e-6)


def test_invalid_sample_in_a_later_block_is_reported(tmp_path, monkeypatch):
    data = np.zeros((40_000, 1), np.float32)
    data[35_000] = np.nan
    sf.write(tmp_path / "nan.wav", data, 8000, subtype="FLOAT")
    monkeypatch.setattr(audio, "BLOCK_FRAMES", 4096)
    with pytest.raises(audio.RecordingError, match="invalid samples"):
        audio.load_audio(tmp_path / "nan.wav")


@pytest.mark.parametrize("name", ["C10.mp3", "C01.flac", "C12.wav"])
def test_sample_calls_decode_exactly_as_a_whole_read(root, name):
    """Same samples as reading the file in one go: the transcripts do not move."""
    path = root / "sample_audio" / name
    data, rate = sf.read(path, dtype="float32", always_2d=True)
    loaded = audio.load_audio(path)
    for channel in range(data.shape[1]):
        whole = resample_poly(data[:, channel], SAMPLE_RATE // np.gcd(rate, SAMPLE_RATE), rate // np.gcd(rate, SAMPLE_RATE))
        assert np.array_equal(loaded.channels[channel], whole.astype(np.float32))
