"""Speech presence: no speech means no score; an empty channel makes its speaker's criteria not applicable.

Pure parts only (no Whisper): transcripts are written by hand, echo is synthetic.
The real-audio cases run in test_hostile_inputs.py and, for the field case F14, below.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from qa_pipeline.errors import RecordingError
from qa_pipeline.records import AGENT, CALL_END, CUSTOMER, NOT_APPLICABLE, Audio, Transcript, Word
from qa_pipeline.speech.presence import NO_SPEECH, check_speech, suppress_lone_echo

from _scoring_helpers import dialogue, judge

RATE = 16000
# The field cases sit beside the checkout (../shared/field-cases), or where this names.
FIELD_CASES = Path(os.environ.get("QA_PIPELINE_FIELD_CASES", Path(__file__).resolve().parents[2] / "shared" / "field-cases"))


def audio(channels: int = 2, seconds: float = 4.0) -> Audio:
    return Audio("call.wav", tuple(np.zeros(int(seconds * RATE), np.float32) for _ in range(channels)), RATE)


def on_channels(transcript: Transcript) -> Transcript:
    """The hand-written transcript with the agent on channel 0 and the customer on 1."""
    utterances = tuple(replace(u, channel=0 if u.speaker == AGENT else 1) for u in transcript.utterances)
    return replace(transcript, utterances=utterances)


def test_no_words_on_any_channel_is_no_speech():
    with pytest.raises(RecordingError) as error:
        check_speech(Transcript((), 4.0, 2), audio())
    assert error.value.reason == NO_SPEECH


def test_a_silent_customer_channel_is_named_on_the_card_and_in_missing():
    checked = check_speech(on_channels(dialogue("A: good morning, my name is anna")), audio())
    assert checked.missing == {CUSTOMER: "the customer's channel, channel 1 (right), carries no speech"}
    assert checked.warnings[-1].startswith("the customer's channel, channel 1 (right), carries no speech")


def test_a_silent_agent_channel_points_at_the_agent_channel_setting():
    checked = check_speech(on_channels(dialogue("C: hello, i'd like to book a cleaning")), audio())
    assert checked.missing == {AGENT: "the agent's channel, channel 0 (left), carries no speech"}
    assert "the agent may be on the other channel" in checked.warnings[-1]
    assert "--agent-channel" in checked.warnings[-1]


def test_speech_on_both_channels_or_a_mono_call_is_left_as_it_is():
    both = on_channels(dialogue("A: good morning", "C: hello there"))
    assert check_speech(both, audio()) == both
    mono = dialogue("A: good morning", roles_known=False)
    assert check_speech(mono, audio(channels=1)) == mono


def tone(seconds: float, level_db: float, start: float, length: float) -> np.ndarray:
    out = np.zeros(int(seconds * RATE), np.float32)
    t = np.arange(int(length * RATE)) / RATE
    out[int(start * RATE):int(start * RATE) + len(t)] = 10 ** (level_db / 20) * np.sin(2 * np.pi * 300 * t)
    return out


def test_echo_far_below_the_lone_legs_own_voice_is_dropped():
    # Own speech at -20 dBFS over 0-2 s, the far end's echo at -50 dBFS over 3-4 s.
    leg = tone(5, -20, 0.0, 2.0) + tone(5, -50, 3.0, 1.0)
    own = (Word("hello", 0.2, 0.6), Word("there", 0.7, 1.2), Word("friend", 1.3, 1.9))
    echo = (Word("tuesday", 3.1, 3.5), Word("morning", 3.5, 3.9))
    kept = suppress_lone_echo((own + echo, ()), (leg, np.zeros_like(leg)), RATE)
    assert kept == (own, ())


def test_echo_is_left_to_the_crosstalk_rule_when_both_legs_carry_words():
    leg = tone(5, -20, 0.0, 2.0) + tone(5, -50, 3.0, 1.0)
    words = ((Word("hello", 0.2, 0.6), Word("tuesday", 3.1, 3.5)), (Word("hi", 3.0, 3.4),))
    assert suppress_lone_echo(words, (leg, leg), RATE) == words


def test_a_missing_call_end_makes_said_goodbye_not_applicable_with_the_reason():
    reason = "recording is truncated: the header promises 60.0 s, 20.0 s decoded"
    call = replace(dialogue("A: good morning, my name is anna", "C: hi"), missing={CALL_END: reason})
    result = judge("said_goodbye", call)
    assert (result.verdict, result.detail) == (NOT_APPLICABLE, f"{reason}; this criterion needs the end of the call")
    assert judge("self_introduction", call).verdict == "pass"


def test_a_missing_customer_does_not_charge_the_unlearned_name_to_the_agent():
    reason = "the customer's channel, channel 1 (right), carries no speech"
    call = replace(dialogue("A: good morning, my name is anna, how can i help?"), missing={CUSTOMER: reason})
    result = judge("name_use", call)
    assert result.verdict == NOT_APPLICABLE and reason in result.detail
    assert judge("name_use", replace(call, missing={})).verdict == "fail"


def test_a_missing_agent_makes_every_agent_criterion_not_applicable():
    reason = "the agent's channel, channel 0 (left), carries no speech"
    call = replace(dialogue("C: hello, i'd like to book a cleaning"), missing={AGENT: reason})
    for criterion in ("self_introduction", "name_use", "no_im_listening", "asked_questions", "said_goodbye"):
        assert judge(criterion, call).verdict == NOT_APPLICABLE, criterion


@pytest.mark.asr
@pytest.mark.skipif(not (FIELD_CASES / "F14_customer_leg_silent.flac").is_file(), reason="field cases not present")
def test_field_case_f14_customer_leg_silent(tmp_path):
    """Scored with the customer-channel warning; the caller's echo on the agent leg is not
    agent speech; name_use is not charged to the agent."""
    from qa_pipeline.batch import score_paths
    from qa_pipeline.pipeline import CallPipeline, PipelineSettings
    from qa_pipeline.rubric import load_rubric
    from qa_pipeline.speech.asr import AsrOptions

    pipeline = CallPipeline(PipelineSettings(load_rubric("etiquette"), AsrOptions()))
    result = score_paths([FIELD_CASES / "F14_customer_leg_silent.flac"], pipeline)
    (card,) = result.cards
    assert any(w.startswith("the customer's channel, channel 1 (right), carries no speech") for w in card.warnings)
    verdicts = {c.id: c.verdict for c in card.criteria}
    assert verdicts["name_use"] == NOT_APPLICABLE
    expected = json.loads((FIELD_CASES / "expected.json").read_text())["F14_customer_leg_silent"]["labels"]
    assert {k: verdicts[k] for k, v in expected.items() if v is not None} == {k: v for k, v in expected.items() if v}
    said = " ".join(u.text for u in card.transcript.utterances).lower()
    assert "lost my" not in said and "normal lock" not in said  # the caller's lines, heard as echo
