"""Roles from what is said: real spaCy and the shipped dialogue-act classifier on hand-made turns.

Also the channel decision of stereo calls (`--agent-channel auto`, and a fixed channel
that disagrees with the cues) and the one-mix-on-both-channels check.
"""

from __future__ import annotations

import numpy as np
import pytest

from qa_pipeline.records import AGENT, CUSTOMER, OTHER, UNKNOWN, Utterance
from qa_pipeline.speech.mix import compare_channels
from qa_pipeline.speech.roles import decide_roles, load_cues
from qa_pipeline.speech.speakers import channel_roles, label_channels

from _asr_helpers import read_clip


def turns(*lines: tuple[str, str]) -> dict[str, list[Utterance]]:
    """Speaker label -> utterances, from (label, text) lines 3 s apart."""
    by: dict[str, list[Utterance]] = {}
    for index, (label, text) in enumerate(lines):
        by.setdefault(label, []).append(Utterance(UNKNOWN, 3.0 * index, 3.0 * index + 2.5, text))
    return by


CALL = (
    ("A", "Good morning, Bright Smile Dental, my name is Megan. How can I help you?"),
    ("B", "Hi, I'm calling about a tooth that hurts, I'd like to book an appointment."),
    ("A", "I'm sorry to hear that. Could I take your name, please?"),
    ("B", "It's John Carter."),
    ("A", "Thank you, John. Which tooth is it?"),
    ("B", "The lower one on the left."),
)


def test_agent_is_the_speaker_who_greets_and_offers_help():
    result = decide_roles(turns(*CALL))
    assert (result.roles, result.agent) == ({"A": AGENT, "B": CUSTOMER}, "A")
    assert result.confidence >= load_cues().min_confidence
    assert "offers_help" in result.cues["A"] and "says_they_are_calling" in result.cues["B"]


def test_caller_speaking_first_is_not_taken_for_the_agent():
    """A recording that starts with the caller's "hello?" still finds the agent by what is said."""
    result = decide_roles(turns(("B", "Hello?"), *CALL))
    assert result.roles == {"A": AGENT, "B": CUSTOMER}


def test_no_cues_gives_low_confidence_not_a_silent_guess():
    result = decide_roles(turns(("A", "Yes."), ("B", "Okay."), ("A", "Right."), ("B", "Fine.")))
    assert result.low_confidence()


def test_one_voice_without_agent_cues_is_no_agent():
    """A recorded message or IVR alone: nobody is the agent, so role criteria are not scored."""
    result = decide_roles(turns(("S1", "Our offices are closed. Please leave a message after the tone.")))
    assert result.agent is None and result.roles["S1"] != AGENT


def test_second_agent_after_a_transfer_is_an_agent_and_a_stray_voice_is_other():
    result = decide_roles(turns(
        *CALL,
        ("A", "Let me transfer you to our billing team, please hold."),
        ("C", "Good afternoon, billing, this is Paul. How can I help you today?"),
        ("B", "Hi Paul, I'm calling about my invoice, I'd like to ask about the fee."),
        ("D", "Thank you."),
        ("C", "Of course. Could I take your name, please?"),
    ))
    assert result.roles == {"A": AGENT, "B": CUSTOMER, "C": AGENT, "D": OTHER}


def stereo(*lines: tuple[str, str]) -> list[tuple[Utterance, ...]]:
    by = turns(*((label, text) for label, text in lines))
    return [tuple(by.get("0", ())), tuple(by.get("1", ()))]


AGENT_RIGHT = [("1" if who == "A" else "0", text) for who, text in CALL]


def test_auto_finds_the_agent_on_the_right_channel():
    channel, decision, warnings = channel_roles(stereo(*AGENT_RIGHT), "auto")
    assert (channel, decision.source, decision.agent_channel, warnings) == (1, "channels", 1, ())
    assert decision.confidence >= load_cues().min_confidence
    labelled = label_channels(stereo(*AGENT_RIGHT), channel)
    assert {u.speaker for u in labelled[1]} == {AGENT} and {u.speaker for u in labelled[0]} == {CUSTOMER}


def test_fixed_channel_wins_but_the_card_warns_when_the_cues_disagree():
    channel, decision, warnings = channel_roles(stereo(*AGENT_RIGHT), 0)
    assert (channel, decision.agent_channel) == (0, 0)
    assert decision.confidence < 0.5
    assert len(warnings) == 1 and "points to channel 1" in warnings[0]


def test_fixed_channel_that_agrees_has_no_warning():
    assert channel_roles(stereo(*AGENT_RIGHT), 1)[2] == ()


# --- one mix on both channels ---------------------------------------------------------


def _dual(offset_ms: float, gain_db: float) -> tuple[np.ndarray, np.ndarray]:
    data, rate = read_clip("two_speakers")
    mix = data.mean(axis=1)
    shift = int(round(offset_ms / 1000 * rate))
    late = np.concatenate([np.zeros(shift, dtype=mix.dtype), mix[: len(mix) - shift]]) * 10 ** (gain_db / 20)
    return mix, late


@pytest.mark.parametrize("offset_ms, gain_db", [(0.0, 0.0), (2.0, -0.5), (12.0, -6.0)])
def test_one_mix_on_both_channels_is_found_despite_offset_and_level(offset_ms, gain_db):
    left, right = _dual(offset_ms, gain_db)
    check = compare_channels(left, right, 8000)
    assert check.same_mix and check.lag_s == pytest.approx(offset_ms / 1000, abs=0.0005)


def test_two_speaker_channels_with_crosstalk_are_not_one_mix():
    data, rate = read_clip("two_speakers")  # the customer channel leaks the agent 22 dB down
    check = compare_channels(data[:, 0], data[:, 1], rate)
    assert not check.same_mix and check.correlation < 0.3


def test_a_silent_channel_is_not_one_mix():
    data, rate = read_clip("two_speakers")
    assert not compare_channels(data[:, 0], np.zeros(len(data), dtype=np.float32), rate).same_mix
