"""Cut-off recordings: a recording that stops mid-conversation is warned about, and the
criteria that need the end of the call (needs_call_end in the rubric) are not_applicable.

Hand-written transcripts for the rule; one real sample call, cut mid agent-turn and
transcribed by Whisper, for the whole path.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from qa_pipeline.criteria.cutoff import find_cutoff, on_hold, unfinished
from qa_pipeline.errors import ConfigError
from qa_pipeline.records import (
    AGENT,
    CALL_END,
    NOT_APPLICABLE,
    CallMetadata,
    Transcript,
)
from qa_pipeline.rubric import load_rubric, parse_rubric
from qa_pipeline.scoring import score_transcript

from _scoring_helpers import timed

ROOT = Path(__file__).resolve().parent.parent
CLOSING = ("said_goodbye", "thanked_for_call", "offered_further_help", "next_step_agreed")
OPENING = (
    ("A", 0.5, 3.0, "Good morning, Riverside Dental, my name is Anna. How can I help?"),
    ("C", 3.5, 6.0, "Hi, I'd like to book a check-up."),
)


def ending(*rows, tail_s: float = 0.4) -> Transcript:
    """The opening plus `rows`, the recording ending `tail_s` after the last word."""
    call = timed(*OPENING, *rows)
    return dataclasses.replace(call, duration_s=max(u.end for u in call.utterances) + tail_s)


def test_a_last_turn_stopping_mid_phrase_is_a_cutoff():
    cutoff = find_cutoff(ending(("A", 6.5, 9.0, "Sure. We have Tuesday at ten, or I could offer you the")))
    assert cutoff is not None and "mid-phrase" in cutoff.reason


def test_a_hold_under_way_when_the_recording_stops_is_a_cutoff():
    cutoff = find_cutoff(ending(("A", 6.5, 8.0, "Okay, hold on."), tail_s=1.2))
    assert cutoff is not None and "hold" in cutoff.reason


def test_an_unanswered_question_at_the_very_end_is_a_cutoff():
    assert find_cutoff(ending(("A", 6.5, 8.0, "Would you like a morning slot?"))) is not None


def test_a_finished_call_is_no_cutoff():
    assert find_cutoff(ending(("A", 6.5, 8.0, "Would you like a morning slot?"), ("C", 8.5, 9.0, "Yes."),
                              ("A", 9.5, 11.0, "Booked. Thank you for calling, goodbye."))) is None


def test_a_finished_sentence_ending_on_a_pronoun_is_no_cutoff():
    for last in ("Okay, thank you.", "I think so.", "Please come in.", "I'll call her."):
        assert find_cutoff(ending(("A", 6.5, 8.0, last))) is None, last
    assert not unfinished("thank you", punctuated=False) and unfinished("with the", punctuated=False)


def test_a_recording_quiet_after_the_last_word_is_no_cutoff():
    assert find_cutoff(ending(("A", 6.5, 9.0, "We have Tuesday at ten, or I could offer you the"), tail_s=3.0)) is None


def test_a_transfer_ends_the_agents_part_and_is_no_cutoff():
    """As in the field case F12: "stay on the line while I transfer you" ends the agent's call."""
    last = ("A", 6.5, 9.0, "Please stay on the line while I transfer you to our hygienist.")
    assert find_cutoff(ending(last)) is None
    assert not on_hold("Just hold on while I put you through.") and on_hold("One moment, please.")


def test_missing_punctuation_counts_only_where_the_transcriber_punctuates():
    assert unfinished("we have tuesday at ten") and not unfinished("we have tuesday at ten", punctuated=False)
    assert unfinished("i could offer you the", punctuated=False)
    unpunctuated = timed(("A", 0.5, 3.0, "good morning riverside dental my name is anna"),
                         ("C", 3.5, 6.0, "hi i'd like a check-up"), ("A", 6.5, 8.0, "great see you tuesday at ten"))
    assert find_cutoff(dataclasses.replace(unpunctuated, duration_s=8.4)) is None


def test_a_cutoff_warns_and_leaves_the_closing_criteria_not_applicable():
    rubric = load_rubric("call_handling")
    cut = ending(("A", 6.5, 9.0, "Sure, Anna here. We have Tuesday at ten, or I could offer you the"))
    card = score_transcript(cut, rubric, CallMetadata("T"), "t.wav")
    assert any(w.startswith("recording cut off:") for w in card.warnings)
    verdicts = {c.id: c for c in card.criteria}
    for criterion in CLOSING:
        assert verdicts[criterion].verdict == NOT_APPLICABLE, criterion
        assert "mid-phrase" in verdicts[criterion].detail and "needs the end of the call" in verdicts[criterion].detail
    assert verdicts["self_introduction"].verdict == "pass"


def test_the_closing_criteria_are_marked_in_the_rubric():
    rubric = load_rubric("call_handling")
    assert {c.id for c in rubric.criteria if c.needs_call_end} == set(CLOSING)
    with pytest.raises(ConfigError, match="needs_call_end: expected true or false"):
        parse_rubric({"id": "x", "version": "1", "criteria": {
            "said_goodbye": {"impl": "said_goodbye.v1", "weight": 1, "needs_call_end": "yes"}}})


def test_a_truncated_file_keeps_its_own_reason():
    reason = "recording is truncated: the header promises 60.0 s, 20.0 s decoded"
    cut = dataclasses.replace(ending(("A", 6.5, 9.0, "or I could offer you the")), missing={CALL_END: reason})
    card = score_transcript(cut, load_rubric("etiquette"), CallMetadata("T"), "t.wav")
    assert next(c for c in card.criteria if c.id == "said_goodbye").detail.startswith(reason)
    assert not any(w.startswith("recording cut off:") for w in card.warnings)


@pytest.mark.asr
def test_a_real_call_cut_mid_agent_turn_loses_its_closing_verdicts_and_the_uncut_call_keeps_them():
    from qa_pipeline.speech.asr import transcribe_audio
    from qa_pipeline.speech.audio import load_audio

    call = next(c for c in json.loads((ROOT / "sample_audio" / "manifest.json").read_text())["calls"]
                if c["call_id"] == "C19")  # a florist order, 33 s: all four closing criteria labelled
    audio = load_audio(ROOT / "sample_audio" / call["file"])
    rubric = load_rubric("call_handling")
    whole = transcribe_audio(audio)
    card = score_transcript(whole, rubric, CallMetadata("C19"), call["file"])
    assert not any(w.startswith("recording cut off:") for w in card.warnings)
    assert {c.id: c.verdict for c in card.criteria if c.id in CLOSING} == {k: call["expected"][k] for k in CLOSING}

    # Cut in the middle word of the agent's utterance nearest the middle of the call.
    agent = [u for u in whole.utterances if u.speaker == AGENT and len(u.words) >= 6]
    middle = min(agent, key=lambda u: abs(u.start - whole.duration_s / 2))
    word = middle.words[len(middle.words) // 2]
    end = int((word.start + word.end) / 2 * audio.sample_rate)
    cut = transcribe_audio(dataclasses.replace(audio, channels=tuple(c[:end] for c in audio.channels)))
    card = score_transcript(cut, rubric, CallMetadata("C19"), call["file"])
    assert any(w.startswith("recording cut off:") for w in card.warnings), card.warnings
    assert {c.id: c.verdict for c in card.criteria if c.id in CLOSING} == dict.fromkeys(CLOSING, NOT_APPLICABLE)


@pytest.mark.parametrize(("text", "open_"), [
    ("故障はございませんので", True),  # J04 cut at 45 s: ので, the で of ダ in its continuative form
    ("確認いたしまして", True),  # conjunctive て
    ("大丈夫ですから", True),
    ("確認しており", True),  # a verb in its continuative form
    ("安くなりますけど", True),
    ("少々お待ちください", False),
    ("ありがとうございました", False),
    ("そうですね", False),
    ("じゃ、その日に", False),  # a case particle: spoken Japanese leaves the rest unsaid
    ("そうですが", False),  # Whisper's spelling of the agent's "そうですか。" (J02's last line)
    ("はい、ありがとう", False),
])
def test_a_japanese_turn_ending_on_a_word_that_joins_on_is_unfinished(text, open_):
    assert unfinished(text, punctuated=False, lang="ja") is open_


def test_japanese_endings_are_read_only_in_japanese():
    assert not unfinished("故障はございませんので", punctuated=False, lang="ko")


@pytest.mark.asr
def test_a_real_japanese_call_cut_after_a_conjunctive_ending_is_a_cutoff_and_the_uncut_call_is_not():
    from qa_pipeline.speech.asr import AsrOptions, transcribe_audio
    from qa_pipeline.speech.audio import load_audio

    folder = ROOT / "sample_audio_ja"
    call = next(c for c in json.loads((folder / "manifest.json").read_text())["calls"] if c["call_id"] == "J04")
    audio = load_audio(folder / call["file"])
    options = AsrOptions(model="base", language="ja")
    rubric = load_rubric("call_handling", language="ja")

    # Uncut, every closing criterion is decided (next_step_agreed wrongly: a known Japanese disagreement).
    card = score_transcript(transcribe_audio(audio, options), rubric, CallMetadata("J04"), call["file"])
    verdicts = {c.id: c.verdict for c in card.criteria if c.id in CLOSING}
    assert not card.transcript.missing and NOT_APPLICABLE not in verdicts.values()
    assert verdicts["said_goodbye"] == call["expected"]["said_goodbye"] == "pass"

    # Cut at 45 s, as `sox J04.flac cut.flac trim 0 45` does: the agent's "…故障はございませんので" 0.4 s before the end.
    end = 45 * audio.sample_rate
    cut = transcribe_audio(dataclasses.replace(audio, channels=tuple(c[:end] for c in audio.channels)), options)
    card = score_transcript(cut, rubric, CallMetadata("J04"), call["file"])
    assert CALL_END in card.transcript.missing, card.warnings
    assert "ございませんので'" in card.transcript.missing[CALL_END]  # the turn quoted as stopping mid-phrase
    assert {c.id: c.verdict for c in card.criteria if c.id in CLOSING} == dict.fromkeys(CLOSING, NOT_APPLICABLE)
