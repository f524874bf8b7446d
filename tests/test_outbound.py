"""Outbound calls and the call's direction: roles, direction and the criteria whose meaning
depends on it, on hand-written turns with real spaCy and the shipped classifier.

The agent is whoever speaks for the company (names it, says why they call, asks for the
customer by name), whoever speaks first; on an outbound call the one who answers "Hello?"
is the customer.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from qa_pipeline.records import AGENT, CUSTOMER, FAIL, PASS, SYSTEM, CallMetadata, RoleDecision, Utterance, Word
from qa_pipeline.speech.announcements import mark_announcements
from qa_pipeline.speech.roles import cue_summary, decide_roles, load_cues
from qa_pipeline.speech.speakers import channel_roles

from _scoring_helpers import dialogue, judge


def turns(*lines: tuple[str, str]) -> dict[str, list[Utterance]]:
    """Speaker label -> utterances, from (label, text) lines 3 s apart."""
    by: dict[str, list[Utterance]] = {}
    for index, (label, text) in enumerate(lines):
        by.setdefault(label, []).append(Utterance("unknown", 3.0 * index, 3.0 * index + 2.5, text))
    return by


# Each outbound call: the customer ("C") answers, the agent ("A") calls for a company.
OUTBOUND = {
    "technician dispatch": (
        ("C", "Hello?"),
        ("A", "Hi, this is Mike Anderson from HP technical services, I'm calling about the repair visit for your printer."),
        ("C", "Oh yes, I was expecting a call."),
        ("A", "The technician can come today at five. Will someone be at the address?"),
        ("C", "Yes, I'll be here."),
    ),
    "accounts payable": (
        ("C", "This is Karen."),
        ("A", "Hi Karen, my name is Tom from Brightline Supplies. I'm calling regarding your invoice from March."),
        ("C", "Okay, what about it?"),
        ("A", "It is thirty days overdue. Could you tell me when it will be paid?"),
    ),
    "insurance sale": (
        ("C", "Hello, who's calling?"),
        ("A", "Good afternoon, it's Sarah from Harbor Insurance. Is this a good time to talk about your car policy?"),
        ("C", "I suppose so, I have a few minutes."),
        ("A", "Great. How many drivers are on the policy at the moment?"),
    ),
    "appointment reminder": (
        ("C", "Speaking."),
        ("A", "Hello, I'm calling from Riverside Dental to remind you of your appointment tomorrow at nine."),
        ("C", "Oh, thanks for the reminder."),
        ("A", "Will you be able to make it?"),
    ),
}


@pytest.mark.parametrize("call", sorted(OUTBOUND))
def test_on_an_outbound_call_the_one_who_speaks_for_the_company_is_the_agent(call):
    result = decide_roles(turns(*OUTBOUND[call]))
    assert result.direction.direction == "outbound", result.cues
    assert (result.agent, result.roles) == ("A", {"A": AGENT, "C": CUSTOMER}), result.cues


def test_the_agent_speaking_first_on_an_outbound_call_is_still_the_agent():
    result = decide_roles(turns(
        ("A", "Hi, may I speak with Dennis please? This is Mike from HP calling about your repair."),
        ("C", "Yes, this is Dennis."),
        ("A", "Great, can the technician come today at five?"),
    ))
    assert result.direction.direction == "outbound" and result.agent == "A"


INBOUND = (
    ("A", "Good morning, Bright Smile Dental, my name is Megan. How can I help you?"),
    ("B", "Hi, I'm calling about a tooth that hurts, I'd like to book an appointment."),
    ("A", "I'm sorry to hear that. Could I take your name, please?"),
    ("B", "It's John Carter."),
)


def test_an_inbound_call_stays_inbound_and_its_caller_is_the_customer():
    result = decide_roles(turns(*INBOUND))
    assert result.direction.direction == "inbound" and result.agent == "A"


def test_an_agent_who_answers_hello_does_not_make_the_call_outbound():
    """Sample call C40: the agent answers "Hello?" and the caller asks for the clinic."""
    result = decide_roles(turns(
        ("A", "Hello?"),
        ("B", "Is that the dental clinic? One of my back teeth has been hurting since the weekend."),
        ("A", "I'm sorry. Which tooth is it?"),
    ))
    assert result.direction.direction == "inbound" and result.agent == "A"


def test_metadata_direction_wins_over_what_is_said():
    result = decide_roles(turns(*INBOUND), direction="outbound")
    assert (result.direction.direction, result.direction.source, result.direction.confidence) == ("outbound",
                                                                                                   "metadata", 1.0)


def test_stereo_decision_records_the_direction():
    lines = OUTBOUND["technician dispatch"]
    per_channel = [tuple(Utterance("unknown", 3.0 * k, 3.0 * k + 2.5, text, channel=ch)
                         for k, (who, text) in enumerate(lines) if (who == "A") == (ch == 1)) for ch in (0, 1)]
    channel, decision, warnings = channel_roles(per_channel)
    assert (channel, decision.direction, decision.direction_source) == (1, "outbound", "speech"), warnings


def test_role_warnings_are_written_for_a_supervisor():
    per_channel = [(Utterance("unknown", 0.0, 1.0, "Yes."),), (Utterance("unknown", 2.0, 3.0, "Okay."),)]
    _, _, warnings = channel_roles(per_channel)
    assert warnings == ("agent channel could not be told from what is said; channel 0 (left) was assumed",) or \
        "channel 0 (left) sounds like the agent: they speak first" in warnings[0], warnings
    summary = cue_summary(decide_roles(turns(*[("0" if w == "A" else "1", t) for w, t in INBOUND])),
                          lambda label: f"channel {label}")
    assert summary.startswith("channel 0 sounds like the agent: they offer help"), summary
    assert "channel 1 sounds like the customer: they say they are calling" in summary
    assert "act:" not in summary and "_" not in summary


# --- recorded announcements -------------------------------------------------------------------


def _spoken(text: str, start: float, speaker: str = "agent") -> Utterance:
    words = tuple(Word(w, start + 0.3 * k, start + 0.3 * k + 0.25) for k, w in enumerate(text.split()))
    return Utterance(speaker, start, words[-1].end, text, words, 0)


def test_a_recorded_announcement_is_system_speech_split_from_the_agent():
    u = _spoken("This call may be recorded for quality and training purposes. Good morning, Riverside Dental.", 0.0)
    out = mark_announcements([u], load_cues().announcements)
    assert [(x.speaker, x.text) for x in out] == [
        (SYSTEM, "This call may be recorded for quality and training purposes."),
        ("agent", "Good morning, Riverside Dental.")]
    assert out[1].start == out[1].words[0].start


@pytest.mark.parametrize("text", ["Your call is important to us, please stay on the line.",
                                  "For billing, press 2.", "Call is now being recorded."])
def test_ivr_prompts_are_system_speech(text):
    assert mark_announcements([_spoken(text, 0.0)], load_cues().announcements)[0].speaker == SYSTEM


def test_agent_speech_is_not_an_announcement():
    u = _spoken("I'll record your booking for Tuesday.", 0.0)
    assert mark_announcements([u], load_cues().announcements) == (u,)


def test_system_speech_is_never_evidence():
    transcript = dialogue("A: Good morning, Riverside Dental, my name is Anna.", "C: Hi.",
                          "A: Thank you, goodbye.")
    announcement = Utterance(SYSTEM, 9.0, 10.0, "Thank you for calling, goodbye, this call is now being recorded.")
    transcript = replace(transcript, utterances=(*transcript.utterances[:2], announcement))
    result = judge("said_goodbye", transcript)
    assert result.verdict == FAIL and all(e.speaker != SYSTEM for e in result.evidence)


# --- criteria whose meaning depends on the direction --------------------------------------------


def _outbound(transcript):
    return replace(transcript, roles=RoleDecision("channels", 0, 0.9, 2, "outbound", "speech", 0.9))


CALL = ("C: Hello?",
        "A: Hi, is this Dennis? This is Mike from HP, calling to confirm the repair visit. Are you at home today?",
        "C: Yes, I am.", "A: And is the printer still showing the error?", "C: It is.",
        "A: Thank you so much for your time.")


def test_outbound_name_use_counts_asking_for_the_customer_by_name():
    result = judge("name_use", _outbound(dialogue(*CALL)))
    assert result.verdict == PASS and "'Dennis'" in result.detail and "placed the call" in result.detail


def test_outbound_self_introduction_after_hello_names_the_agent_and_the_company():
    result = judge("self_introduction", _outbound(dialogue(*CALL)))
    assert result.verdict == PASS and "'Mike'" in result.detail and "company 'HP'" in result.detail


def test_outbound_questions_before_the_customer_speaks_about_the_need_count():
    transcript = _outbound(dialogue("A: Hi, this is Mike from HP, calling about your repair. Are you at home today?",
                                    "A: Is the printer still showing the error?", "C: Yes and yes."))
    assert judge("asked_questions", transcript).verdict == PASS
    inbound = replace(transcript, roles=replace(transcript.roles, direction="inbound"))
    assert judge("asked_questions", inbound).verdict == FAIL


def test_metadata_direction_reaches_the_criteria():
    transcript = dialogue("A: Hi, this is Mike from HP. Are you at home today?", "A: Is the printer broken?",
                          "C: Yes.")
    result = judge("asked_questions", transcript, CallMetadata("T", direction="outbound"))
    assert result.verdict == PASS


def test_thank_you_for_your_time_closes_an_outbound_call():
    assert judge("said_goodbye", _outbound(dialogue(*CALL))).verdict == PASS


# --- a phrase across two utterances of the same speaker -----------------------------------------


def _split_dialogue(*rows: tuple[str, float, float, str]):
    from qa_pipeline.records import Transcript
    speakers = {"A": AGENT, "C": CUSTOMER}
    utterances = tuple(Utterance(speakers[s], a, b, text) for s, a, b, text in rows)
    return Transcript(utterances, duration_s=rows[-1][2] + 1.0, channels=2, asr_model="tiny.en")


def test_a_phrase_split_across_two_utterances_of_the_agent_is_found():
    transcript = _split_dialogue(("A", 0.5, 3.0, "Good morning, Riverside Dental, my name is Anna."),
                                 ("C", 3.5, 5.0, "Hi, that's all, bye."),
                                 ("A", 5.5, 6.0, "Thank"), ("A", 7.2, 8.5, "you for calling."))
    from qa_pipeline.rubric import load_rubric
    from qa_pipeline.scoring import score_transcript
    card = score_transcript(transcript, load_rubric("call_handling"), CallMetadata("T"), "T.wav")
    result = card.result("thanked_for_call")
    assert result.verdict == PASS and result.evidence[0].text == "Thank you for calling.", result.detail
    assert card.transcript == transcript  # the card keeps the utterances as heard


def test_a_finished_sentence_or_another_speaker_in_between_keeps_utterances_apart():
    from qa_pipeline.criteria.context import join_continued
    rows = (("A", 0.0, 1.0, "Thank you."), ("A", 1.5, 2.5, "For calling"), ("C", 2.0, 3.5, "Okay"),
            ("A", 3.6, 4.0, "us today."), ("A", 9.0, 9.5, "Bye"), ("A", 20.0, 21.0, "now."))
    joined, groups = join_continued(_split_dialogue(*rows).utterances)
    assert groups == ((0,), (1,), (2,), (3,), (4,), (5,))
    joined, groups = join_continued(_split_dialogue(("A", 0.0, 1.0, "Thank"), ("A", 2.0, 3.0, "you for calling."),
                                                    ("C", 4.0, 5.0, "Bye.")).utterances)
    assert groups == ((0, 1), (2,)) and joined[0].text == "Thank you for calling." and joined[0].end == 3.0


@pytest.mark.parametrize("text", ["Okay, let me get your name and number.", "And your call back number?",
                                  "What's the best number to reach you?"])
def test_real_contact_detail_requests_count(text):
    from qa_pipeline.rubric import load_rubric
    transcript = dialogue("A: Good morning, Riverside Dental, my name is Anna.", "C: I need a cleaning.", f"A: {text}")
    assert judge("contact_details_asked", transcript, rubric=load_rubric("call_handling")).verdict == PASS


# --- explanations a supervisor can check --------------------------------------------------------


@pytest.mark.parametrize("line, name, greeting, company", [
    ("Hello, this is Harper Valley National Bank. My name is Michael. How can I help you today?", "Michael", "Hello",
     "Harper Valley National Bank"),
    ("Good morning. Riverside Dental. My name is Priya. How can I help you?", "Priya", "Good morning",
     "Riverside Dental"),
    ("Markle speaking, Citywide Locksmith. How can I help you?", "Markle", None, "Citywide Locksmith"),
    # Field case F14 as Whisper wrote it: lower case, no comma after "speaking".
    ("Marko speaking citywide locksmith. How can I help you", "Marko", None, "citywide locksmith"),
    ("Hi, Dana here, northside plumbing, how can I help?", "Dana", "Hi", "northside plumbing"),
])
def test_self_introduction_detail_names_the_agent_the_greeting_and_the_company(line, name, greeting, company):
    detail = judge("self_introduction", dialogue(f"A: {line}")).detail
    assert f"agent gave name '{name}'" in detail, detail
    assert (f"greeting '{greeting}'" if greeting else "no greeting") in detail, detail
    assert f"company '{company}'" in detail, detail


@pytest.mark.parametrize("line", ["Marko speaking, how can I help you?", "Hi, Marko here. Yes, I can do that.",
                                  "Marko speaking, good morning. What can I do for you?"])
def test_no_company_is_made_of_the_words_after_a_name_that_name_none(line):
    detail = judge("self_introduction", dialogue(f"A: {line}")).detail
    assert "agent gave name 'Marko'" in detail and "no company name" in detail, detail


def test_a_greeting_counts_only_where_it_opens_a_sentence():
    detail = judge("self_introduction", dialogue("A: My name is Sam. We are open from 6 in the morning.")).detail
    assert "no greeting" in detail, detail


def test_serious_error_title_says_what_the_detail_says():
    from qa_pipeline.rubric import load_rubric
    transcript = dialogue("A: Good morning, Riverside Dental, my name is Anna. How can I help you?",
                          "C: I need a cleaning.", "A: Which day suits you?", "C: Tuesday.", "A: Goodbye.")
    result = judge("asked_questions", transcript, rubric=load_rubric("call_handling"))
    assert result.verdict == FAIL and "asked 1 question" in result.detail
    assert result.serious_error == "asking too few questions"


# --- the direction in metadata ------------------------------------------------------------------


def test_metadata_gives_the_direction_and_refuses_other_values(tmp_path):
    from qa_pipeline.errors import RecordingError
    from qa_pipeline.metadata import read_metadata

    (tmp_path / "metadata.csv").write_text("file,direction\nA1.wav,Outbound\nA2.wav,sideways\n")
    assert read_metadata(tmp_path / "A1.wav").direction == "outbound"
    with pytest.raises(RecordingError, match="direction must be 'inbound' or 'outbound'"):
        read_metadata(tmp_path / "A2.wav")


def test_asr_options_take_a_direction_and_refuse_others():
    from qa_pipeline.errors import ConfigError
    from qa_pipeline.speech.asr import AsrOptions, settings_key

    assert AsrOptions(direction="Outbound").direction == "outbound"
    assert settings_key(AsrOptions()) == settings_key(AsrOptions(direction="auto"))  # caches stay valid
    assert settings_key(AsrOptions()) != settings_key(AsrOptions(direction="outbound"))
    with pytest.raises(ConfigError, match="call direction"):
        AsrOptions(direction="sideways")


def test_the_card_shows_the_direction():
    from qa_pipeline.contract import scorecard_to_dict
    from qa_pipeline.report import scorecard_html
    from qa_pipeline.rubric import load_rubric
    from qa_pipeline.scoring import score_transcript

    card = score_transcript(_outbound(dialogue(*CALL)), load_rubric("etiquette"), CallMetadata("T"), "T.wav")
    assert scorecard_to_dict(card)["direction"] == "outbound"
    assert "outbound: the agent called (read from the opening, confidence 0.90)" in scorecard_html(card)


def test_outbound_calls_are_thanked_for_time_and_not_held_to_the_answering_rules():
    from qa_pipeline.rubric import load_rubric
    handling = load_rubric("call_handling")
    lines = ("A: Hello?", "C: Yes, who is it?", "A: Hi, this is Mike from HP, calling about your repair.",
             "C: Oh right.", "A: Thank you for your time, goodbye.")
    outbound, inbound = _outbound(dialogue(*lines)), dialogue(*lines)
    assert judge("thanked_for_call", outbound, rubric=handling).verdict == PASS
    assert judge("thanked_for_call", inbound, rubric=handling).verdict == FAIL
    assert judge("no_forbidden_phrases", outbound, rubric=handling).verdict == PASS
    assert judge("no_forbidden_phrases", inbound, rubric=handling).verdict == FAIL


def test_a_business_caller_on_an_inbound_call_is_still_the_customer():
    """The caller speaks for their own company ("this is John from Acme"): the agent answered."""
    result = decide_roles(turns(
        ("A", "Accounts payable, Sarah speaking, how can I help?"),
        ("C", "Hi, this is John from Acme Plumbing, I'm calling about invoice 4471."),
        ("A", "Of course. Which date was it sent?"),
        ("C", "On the third of March."),
    ))
    assert result.direction.direction == "inbound" and result.agent == "A", result.cues


# --- the pick-up on a diarized mono call -------------------------------------------------------


def _diarized(*lines: tuple[str, str, float]):
    """Words and diarizer turns from (label, text, start) lines, words 0.3 s apart."""
    from qa_pipeline.speech.diarization import SpeakerTurn

    words, turns_ = [], []
    for label, text, start in lines:
        said = [Word(w, start + 0.3 * k, start + 0.3 * k + 0.25) for k, w in enumerate(text.split())]
        words += said
        turns_.append(SpeakerTurn(label, start, said[-1].end + 0.05))
    return words, tuple(turns_)


# Real field call HP_Technician_Dispat_1: the customer's pick-up "Hello." (1.1 s long) fell in
# the agent's cluster, so the agent "answered the phone" and greeted with the customer's "Hello".
PICKUP_IN_AGENTS_VOICE = (
    ("S1", "Hello.", 1.0),
    ("S1", "Hi, good day. This is Mike Anderson from HP calling about your repair visit today.", 4.0),
    ("S2", "Yes, that's fine by me, I will be here all day.", 30.0),
    ("S1", "Great, the technician will come at five. Thank you so much for your time.", 36.0),
    ("S2", "Okay, thank you.", 60.0),
)


def test_an_outbound_pick_up_in_the_agents_voice_is_the_customers():
    from qa_pipeline.speech.speakers import label_speakers

    words, turns_ = _diarized(*PICKUP_IN_AGENTS_VOICE)
    labels = label_speakers(words, turns_, gap_s=0.8)
    said = [(u.speaker, u.text) for u in labels.utterances]
    assert labels.decision.direction == "outbound", labels.warnings
    assert said[0] == (CUSTOMER, "Hello."), said
    assert [s for s, _ in said[1:]] == [AGENT, CUSTOMER, AGENT, CUSTOMER], said
    assert not any("answer the phone" in w for w in labels.warnings), labels.warnings


def test_channels_keep_their_pick_up_and_an_inbound_agents_hello_stays_the_agents():
    # Channels are the truth: the same lines as channels keep "Hello." on the agent's channel.
    stereo = decide_roles(turns(*[(label, text) for label, text, _ in PICKUP_IN_AGENTS_VOICE]))
    assert stereo.moved == () and stereo.agent == "S1"
    # An inbound agent who answers "Hello?" (sample call C40) keeps it on a mono mix too.
    from qa_pipeline.speech.speakers import label_speakers

    words, turns_ = _diarized(("S1", "Hello?", 0.5),
                              ("S2", "Is that the dental clinic? One of my back teeth has been hurting.", 2.0),
                              ("S1", "I'm sorry to hear that. Which tooth is it?", 8.0))
    labels = label_speakers(words, turns_, gap_s=0.8)
    assert [u.speaker for u in labels.utterances] == [AGENT, CUSTOMER, AGENT], labels.warnings


def test_a_cue_against_a_speakers_role_is_named_apart():
    """On an outbound call answering the phone is the customer's part: it never reads as the
    reason a voice "sounds like the agent"."""
    result = decide_roles(turns(*[(label, text) for label, text, _ in PICKUP_IN_AGENTS_VOICE]))
    summary = cue_summary(result, lambda label: f"speaker {label}")
    assert summary.startswith("speaker S1 sounds like the agent: they say whom they speak for"), summary
    assert "though they also answer the phone" in summary, summary
