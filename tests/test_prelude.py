"""Issue 13 kind 8: queue music and recorded prompts before the agent's first live words."""

from pathlib import Path

import numpy as np
import pytest
from scipy.signal import resample_poly

from qa_pipeline import synth
from qa_pipeline.speech.audio import load_audio
from qa_pipeline.speech.prelude import find_prelude, music_blocks

RATE = 16_000
ROOT = Path(__file__).resolve().parent.parent
# The shared field cases sit beside the checkout (CI: ../shared; a worktree: ../../shared).
FIELD_CASES = next((p / "shared" / "field-cases" for p in (ROOT.parent, ROOT.parent.parent)
                    if (p / "shared" / "field-cases").is_dir()), ROOT.parent / "shared" / "field-cases")


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    """40 s of an agent channel from the sample corpus: speech, pauses, the caller's leak."""
    return load_audio(ROOT / "sample_audio" / "C01.flac").channels[0][: 40 * RATE]


def _music(seconds: float, seed: int = 3) -> np.ndarray:
    music = synth.queue_music(seconds, np.random.default_rng(seed))
    return resample_poly(synth.telephone_band(music * 0.06), 2, 1).astype(np.float32)


def _tone(seconds: float, on_s: float = 2.0, off_s: float = 4.0) -> np.ndarray:
    """A ring-back tone: 440 + 480 Hz, on and off."""
    t = np.arange(int(seconds * RATE)) / RATE
    tone = 0.05 * (np.sin(2 * np.pi * 440 * t) + np.sin(2 * np.pi * 480 * t))
    return (tone * ((t % (on_s + off_s)) < on_s)).astype(np.float32)


def _silence(seconds: float) -> np.ndarray:
    return (1e-4 * np.random.default_rng(0).standard_normal(int(seconds * RATE))).astype(np.float32)


def _call(*parts: np.ndarray) -> np.ndarray:
    return np.concatenate(parts)


# (how the channel starts, where the agent's live speech starts, s)
WITH_PRELUDE = [
    (lambda s: _call(_music(20), _silence(0.5), s), 20.0),
    (lambda s: _call(_music(8), _silence(0.5), s), 8.0),
    (lambda s: _call(_music(30), _silence(0.8), s), 30.0),
    # a recorded prompt (here: 5 s of speech), then music
    (lambda s: _call(s[5 * RATE : 10 * RATE], _music(10), _silence(0.5), s[12 * RATE :]), 15.0),
    # music, a prompt between, more music
    (lambda s: _call(_music(6), s[5 * RATE : 10 * RATE], _music(6, seed=4), _silence(0.5), s[12 * RATE :]), 17.0),
    # music straight into speech, no pause
    (lambda s: _call(_music(12), s), 12.0),
]

WITHOUT_PRELUDE = [
    lambda s: s,  # speech from the start
    lambda s: _call(_music(3), _silence(0.5), s),  # a jingle too short for queue music
    lambda s: _call(s[: 20 * RATE], _music(10), s[20 * RATE :]),  # a hold after 20 s of talk
    lambda s: _call(_silence(10), s),  # silence, not music
    lambda s: _call(_tone(12), s),  # ring-back tone
    lambda s: _call(s[: 16 * RATE], _music(10), s[16 * RATE :]),  # a hold after the greeting
]


@pytest.mark.parametrize(("make", "live_s"), WITH_PRELUDE)
def test_the_prelude_ends_where_live_speech_starts(speech, make, live_s):
    prelude = find_prelude(make(speech), RATE)
    assert prelude
    assert live_s - 1.2 <= prelude.end_s <= live_s + 0.6
    assert prelude.music_s >= 4.0


@pytest.mark.parametrize("make", WITHOUT_PRELUDE)
def test_no_prelude_without_opening_music(speech, make):
    assert not find_prelude(make(speech), RATE)


def test_speech_blocks_are_not_music(speech):
    assert not music_blocks(speech, RATE).any()


def test_short_or_silent_audio_has_no_prelude():
    assert not find_prelude(np.zeros(RATE // 2, np.float32), RATE)
    assert not find_prelude(np.zeros(5 * RATE, np.float32), RATE)


def test_field_case_queue_music_is_found():
    path = FIELD_CASES / "F02a_queue_music_start.flac"
    if not path.is_file():
        pytest.skip(f"{path} is not here (the shared field cases sit beside the checkout)")
    audio = load_audio(path)
    assert 30.5 <= find_prelude(audio.channels[0], RATE).end_s <= 33.0
    assert not find_prelude(audio.channels[1], RATE)
