"""Fitting word times to where each channel's speaker really made sound.

Pure functions over sample arrays and words: the signals here are made by hand (noise
shaped like syllables, a telephone-like leak of each channel into the other, line
noise), so every expected time is known exactly.
"""

from __future__ import annotations

import numpy as np
import pytest

from qa_pipeline.records import AGENT, CUSTOMER, Audio, Transcript, Utterance, Word
from qa_pipeline.speech.crosstalk import frame_levels_db
from qa_pipeline.speech.speech_activity import (
    FRAME_S,
    MAX_EXTEND_S,
    crosstalk_loss_db,
    fit_channel,
    fit_utterance,
    fit_words,
    own_speech_frames,
    without_short_runs,
)
from qa_pipeline.timing import BackchannelRule, find_interruptions

RATE = 16000
LEAK_DB = -26.0
CALL_S = 8.0
NO_BACKCHANNELS = BackchannelRule(frozenset())


def fit_to_channel(utterances, audio: Audio, channel: int) -> tuple[Utterance, ...]:
    """One channel's utterances with word times fitted to that channel's own speech, as the stereo path does."""
    return fit_channel(utterances, own_speech_frames(audio.channels[channel], audio.channels[1 - channel], audio.sample_rate))


def voice(seconds: float, seed: int) -> np.ndarray:
    """Speech-like sound: noise under a 4 Hz syllable envelope, about -26 dBFS."""
    t = np.arange(int(round(seconds * RATE))) / RATE
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 4 * t) ** 2
    return np.random.default_rng(seed).normal(0, 0.06, t.size) * envelope


def call(agent: list[tuple[float, float]], customer: list[tuple[float, float]], leak_db: float = LEAK_DB):
    """Two channels with speech at the given spans, each leaking into the other 20 ms late."""
    clean = np.zeros((2, int(CALL_S * RATE)))
    for channel, spans in enumerate((agent, customer)):
        for i, (start, end) in enumerate(spans):
            at = int(round(start * RATE))
            clean[channel, at : at + int(round((end - start) * RATE))] = voice(end - start, 10 * channel + i)
    delay = int(0.02 * RATE)
    line = clean.copy()
    line[0, delay:] += clean[1, :-delay] * 10 ** (leak_db / 20)
    line[1, delay:] += clean[0, :-delay] * 10 ** (leak_db / 20)
    line += np.random.default_rng(99).normal(0, 10 ** (-62 / 20), line.shape)
    return line[0].astype(np.float32), line[1].astype(np.float32)


def runs(flags: np.ndarray) -> list[tuple[float, float]]:
    """The True runs of a frame mask as (start, end) seconds."""
    padded = np.concatenate(([0], flags.astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(padded)) * FRAME_S
    return [(round(a, 2), round(b, 2)) for a, b in zip(edges[::2], edges[1::2])]


def mask(*spans: tuple[float, float], seconds: float = CALL_S) -> np.ndarray:
    flags = np.zeros(int(round(seconds / FRAME_S)), dtype=bool)
    for start, end in spans:
        flags[int(round(start / FRAME_S)) : int(round(end / FRAME_S))] = True
    return flags


def words_at(*spans: tuple[float, float]) -> tuple[Word, ...]:
    return tuple(Word(f"w{i}", start, end) for i, (start, end) in enumerate(spans))


def utterance(*spans: tuple[float, float], speaker: str = CUSTOMER) -> Utterance:
    words = words_at(*spans)
    return Utterance(speaker, words[0].start, words[-1].end, " ".join(w.text for w in words), words)


# --- which frames are a channel's own speech ---------------------------------------------


@pytest.mark.parametrize(
    "agent, customer, channel, expected",
    [
        # turn taking: each channel is its own speaker only, never the other's leak
        ([(1.0, 3.0)], [(3.5, 5.0)], 0, [(1.0, 3.0)]),
        ([(1.0, 3.0)], [(3.5, 5.0)], 1, [(3.5, 5.0)]),
        # both talk at once: both channels carry their own speech over the overlap
        ([(1.0, 3.0)], [(2.0, 4.0)], 0, [(1.0, 3.0)]),
        ([(1.0, 3.0)], [(2.0, 4.0)], 1, [(2.0, 4.0)]),
    ],
)
def test_own_speech_frames_follow_the_speaker_not_the_leak(agent, customer, channel, expected):
    channels = call(agent, customer)
    found = runs(own_speech_frames(channels[channel], channels[1 - channel], RATE))
    assert len(found) == len(expected)
    for (start, end), (want_start, want_end) in zip(found, expected):
        assert (start, end) == (pytest.approx(want_start, abs=0.04), pytest.approx(want_end, abs=0.04))


def test_speech_between_digital_silence_is_found_whole():
    """Recorders that suppress silence write exact zeros between turns."""
    quiet = np.zeros(int(CALL_S * RATE), dtype=np.float32)
    quiet[RATE : 3 * RATE] = voice(2.0, 5) * 0.1
    assert runs(own_speech_frames(quiet, None, RATE)) == [pytest.approx((1.0, 3.0), abs=0.04)]


def test_a_click_is_not_speech():
    agent, customer = call([(1.0, 3.0)], [(3.5, 5.0)])
    customer[int(6.0 * RATE) : int(6.01 * RATE)] += 0.3
    assert runs(own_speech_frames(customer, agent, RATE)) == [pytest.approx((3.5, 5.0), abs=0.04)]


def test_without_the_other_channel_leak_cannot_be_told_apart():
    agent, customer = call([(1.0, 3.0)], [(3.5, 5.0)], leak_db=-15.0)
    assert runs(own_speech_frames(agent, None, RATE))[-1][1] == pytest.approx(5.0, abs=0.06)


@pytest.mark.parametrize("leak_db", [-30.0, -26.0, -18.0])
def test_crosstalk_loss_is_measured_from_the_call(leak_db):
    agent, customer = call([(1.0, 3.0)], [(3.5, 6.0)], leak_db)
    frame = int(FRAME_S * RATE)
    loss = crosstalk_loss_db(frame_levels_db(agent, frame), frame_levels_db(customer, frame))
    assert loss == pytest.approx(leak_db, abs=2.0)


def test_crosstalk_loss_without_speech_on_the_other_channel_falls_back_to_the_margin():
    agent, customer = call([(1.0, 3.0)], [])
    frame = int(FRAME_S * RATE)
    assert crosstalk_loss_db(frame_levels_db(customer, frame), frame_levels_db(np.zeros_like(agent), frame)) < -12


@pytest.mark.parametrize(
    "flags, min_length, expected",
    [
        ([1, 1, 0, 1, 0, 0, 1, 1, 1], 2, [1, 1, 0, 0, 0, 0, 1, 1, 1]),
        ([1, 0, 1, 0, 1], 2, [0, 0, 0, 0, 0]),
        ([0, 1, 1, 1, 0], 3, [0, 1, 1, 1, 0]),
        ([], 3, []),
    ],
)
def test_without_short_runs(flags, min_length, expected):
    result = without_short_runs(np.array(flags, dtype=bool), min_length)
    assert result.tolist() == [bool(x) for x in expected]


# --- fitting words ------------------------------------------------------------------------

SPEECH = mask((1.0, 2.0))


@pytest.mark.parametrize(
    "spans, expected",
    [
        # a first word that starts in the pause before the speech
        ([(0.5, 1.3), (1.3, 1.8)], [(1.0, 1.3), (1.3, 1.8)]),
        # a last word that runs on into the silence after it
        ([(1.2, 1.7), (1.7, 2.6)], [(1.2, 1.7), (1.7, 2.0)]),
        # a word placed wholly after the speech ended keeps its text but no duration
        ([(1.2, 1.8), (2.3, 2.6)], [(1.2, 1.8), (1.8, 1.8)]),
        # a leading word placed wholly before the speech goes to where the speech starts
        ([(0.2, 0.6), (1.1, 1.5)], [(1.1, 1.1), (1.1, 1.5)]),
        # words that sit wholly in speech are left alone
        ([(1.1, 1.4), (1.5, 1.9)], [(1.1, 1.4), (1.5, 1.9)]),
    ],
)
def test_fit_words_trims_each_word_to_sound(spans, expected):
    fitted = fit_words(words_at(*spans), SPEECH)
    assert [(w.start, w.end) for w in fitted] == [pytest.approx(span) for span in expected]
    assert [w.text for w in fitted] == [f"w{i}" for i in range(len(spans))]


def test_words_with_no_sound_at_all_are_kept_as_they_are():
    words = words_at((3.0, 3.4), (3.5, 4.0))
    assert fit_words(words, SPEECH) == words


# --- fitting utterances -------------------------------------------------------------------


@pytest.mark.parametrize(
    "speech, spans, bounds, expected",
    [
        # Whisper dropped the last words: the sound running on after them is kept
        (mask((1.0, 3.0)), [(1.0, 1.5), (1.5, 2.0)], (0.0, 9.0), (1.0, 3.0)),
        # ... and the first words: the sound running up to them is kept too
        (mask((1.0, 3.0)), [(2.0, 2.5), (2.5, 3.0)], (0.0, 9.0), (1.0, 3.0)),
        # a short breath inside the run does not end it
        (mask((1.0, 2.2), (2.4, 3.0)), [(1.0, 1.5), (1.5, 2.0)], (0.0, 9.0), (1.0, 3.0)),
        # a real pause ends the utterance; the speech after it is another one
        (mask((1.0, 2.0), (2.5, 3.0)), [(1.0, 1.5), (1.5, 2.0)], (0.0, 9.0), (1.0, 2.0)),
        # never into the next utterance of the same channel
        (mask((1.0, 3.0)), [(1.0, 1.5), (1.5, 2.0)], (0.0, 2.4), (1.0, 2.4)),
        # and never further than MAX_EXTEND_S
        (mask((1.0, 7.9)), [(1.0, 1.5), (1.5, 2.0)], (0.0, 9.0), (1.0, 2.0 + MAX_EXTEND_S)),
    ],
)
def test_fit_utterance_spans_the_sound_around_its_words(speech, spans, bounds, expected):
    fitted = fit_utterance(utterance(*spans), speech, bounds=bounds)
    assert (fitted.start, fitted.end) == (pytest.approx(expected[0]), pytest.approx(expected[1]))
    assert (fitted.words[0].start, fitted.words[-1].end) == (fitted.start, fitted.end)


def test_fit_channel_keeps_utterances_of_one_speaker_apart():
    speech = mask((1.0, 4.0))
    first, second = fit_channel((utterance((1.0, 1.5)), utterance((3.0, 3.5))), speech)
    assert first.end <= second.start
    assert (first.start, second.end) == (pytest.approx(1.0), pytest.approx(4.0))


# --- from sound to interruptions -----------------------------------------------------------


def transcript_after_fitting(channels, agent_words, customer_words) -> Transcript:
    audio = Audio("call.wav", channels, 8000)
    agent = fit_to_channel((utterance(*agent_words, speaker=AGENT),), audio, 0)
    customer = fit_to_channel((utterance(*customer_words),), audio, 1)
    return Transcript(tuple(sorted(agent + customer, key=lambda u: u.start)), CALL_S, 2)


@pytest.mark.parametrize(
    "agent_speech, agent_words, customer_words, expected_overlaps",
    [
        # the reply's first word is placed 1 s inside the customer's turn: no interruption
        ((4.4, 6.5), [(3.0, 4.8), (4.8, 6.5)], [(1.0, 2.5), (2.5, 4.0)], []),
        # the customer's last word runs 1 s into the pause the agent waited for
        ((4.4, 6.5), [(4.4, 5.0), (5.0, 6.5)], [(1.0, 2.5), (2.5, 5.0)], []),
        # a real cut-in, 1.2 s before the customer finished: still an interruption
        ((2.8, 6.0), [(2.8, 4.0), (4.0, 6.0)], [(1.0, 2.5), (2.5, 4.0)], [1.2]),
    ],
)
def test_interruptions_are_measured_on_fitted_times(agent_speech, agent_words, customer_words, expected_overlaps):
    channels = call([agent_speech], [(1.0, 4.0)])
    transcript = transcript_after_fitting(channels, agent_words, customer_words)
    found = find_interruptions(transcript, 0.5, NO_BACKCHANNELS)
    assert [x.overlap_s for x in found] == [pytest.approx(o, abs=0.1) for o in expected_overlaps]
