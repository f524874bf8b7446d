"""Issue 13 kinds 2, 6, 7 and 8 on real faster-whisper (tiny.en) and the sample calls.

C28 has the agent ask in declarative and embedded form and use the caller's name right
after his short reply; C29 starts with queue music and a recorded prompt.
"""

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from qa_pipeline.records import AGENT, CUSTOMER, PASS, Audio
from qa_pipeline.speech.asr import AsrOptions, load_model, transcribe_audio
from qa_pipeline.speech.audio import load_audio
from qa_pipeline.speech.crosstalk import suppress_crosstalk
from qa_pipeline.speech.decoding import transcribe_channel
from qa_pipeline.speech.speech_activity import own_speech_frames

from _scoring_helpers import etiquette, judge

pytestmark = pytest.mark.asr

SAMPLES = Path(__file__).resolve().parent.parent / "sample_audio"
RATE = 16_000


def _clip(audio: Audio, start_s: float, end_s: float) -> Audio:
    channels = tuple(c[int(start_s * RATE) : int(end_s * RATE)] for c in audio.channels)
    return dataclasses.replace(audio, channels=channels)


@pytest.fixture(scope="module")
def c28():
    return transcribe_audio(load_audio(SAMPLES / "C28.flac"))


@pytest.fixture(scope="module")
def c29_opening():
    # The queue music, the prompt, the agent's greeting and the caller's first line.
    return transcribe_audio(_clip(load_audio(SAMPLES / "C29.flac"), 0.0, 44.0))


def test_kind6_no_utterance_spans_a_turn_of_the_other_speaker(c28):
    for u in c28.utterances:
        inside = [v for v in c28.utterances if v.speaker != u.speaker and u.start < v.start and v.end < u.end]
        assert inside == [], f"{u.speaker} {u.start}-{u.end} '{u.text}' spans {[v.text for v in inside]}"


def test_kind6_the_name_after_a_short_reply_is_its_own_utterance(c28):
    replies = [i for i, u in enumerate(c28.utterances) if u.speaker == CUSTOMER and "turned it off" in u.text.lower()]
    assert replies, [u.text for u in c28.utterances]
    after = c28.utterances[replies[0] + 1]
    assert after.speaker == AGENT and after.start >= c28.utterances[replies[0]].end


def test_kind2_questions_without_a_question_mark_are_counted(c28):
    result = judge("asked_questions", c28)
    assert result.verdict == PASS, result.detail


def test_kind2_pitch_adds_the_declarative_question(c28):
    rubric = etiquette()
    words_only = rubric.criterion("asked_questions")
    words_only = dataclasses.replace(words_only, params=dataclasses.replace(words_only.params, use_rising_pitch=False))
    no_pitch = dataclasses.replace(rubric, criteria=tuple(words_only if c.id == "asked_questions" else c
                                                          for c in rubric.criteria))
    with_pitch = judge("asked_questions", c28).detail
    without = judge("asked_questions", c28, rubric=no_pitch).detail
    count = lambda detail: int(detail.split("asked ")[1].split(" ")[0])  # noqa: E731
    assert count(with_pitch) > count(without), (with_pitch, without)


def test_kind8_the_call_is_transcribed_from_the_end_of_the_queue_music(c29_opening):
    assert any("queue music" in w for w in c29_opening.warnings), c29_opening.warnings
    agent = c29_opening.by(AGENT)
    assert agent and agent[0].start >= 30.0
    assert "sam" in agent[0].text.lower()
    assert judge("self_introduction", c29_opening).verdict == PASS
    assert not any("calling riverside" in u.text.lower() for u in c29_opening.utterances)


def test_kind7_an_echo_the_agent_channel_missed_is_dropped():
    agent = load_audio(SAMPLES / "C28.flac").channels[0][: 7 * RATE]
    noise = 10 ** (-65 / 20) * np.random.default_rng(0).standard_normal(len(agent)).astype(np.float32)
    delay = int(0.02 * RATE)
    echo = np.concatenate([np.zeros(delay, np.float32), agent[:-delay]]) * 10 ** (-18 / 20) + noise
    options = AsrOptions()
    model = load_model(options)
    heard = (transcribe_channel(model, agent, options), transcribe_channel(model, echo, options))
    assert heard[1], "Whisper heard nothing in the echo; the test needs an audible echo"
    # The agent channel's recogniser "dropped" everything after 3 s.
    dropped = (tuple(w for w in heard[0] if w.end <= 3.0), heard[1])
    active = [own_speech_frames(agent, echo, RATE), own_speech_frames(echo, agent, RATE)]
    kept = suppress_crosstalk(dropped, (agent, echo), RATE, own_speech=active)
    assert kept[1] == ()
    assert kept[0] == dropped[0]
    without_energy = suppress_crosstalk(dropped, (agent, echo), RATE)
    assert any(w.start > 3.0 for w in without_energy[1])
