"""self_introduction: the agent says their own name in the opening."""

import pytest

from qa_pipeline.records import FAIL, PASS

from _scoring_helpers import dialogue, judge

PASSING = [
    ("A: Good morning, Ventura Dental, my name is Anna. How can I help you?",),
    ("A: thank you for calling bright smile dental this is sam how can i help",),
    ("A: Northbank Dental, Daniel speaking.",),
    ("A: hello you're speaking with irene how may i help you",),
    ("A: Olivia here, how can I help?",),
    ("A: good afternoon my name's tom how can i help you today",),
    ("A: Hello?", "C: Hi, is this the clinic?", "A: yes sorry my name is uh megan what can i do for you"),
    ("A: hi i'm daniel the treatment coordinator",),
]

FAILING = [
    ("A: Good morning, Ventura Dental, how can I help you?",),
    ("A: hello", "C: hi i'd like to book a cleaning", "A: this is great we have a slot tomorrow"),
    ("A: thank you for calling this is ventura dental how can i help",),
    ("A: yes", "C: hello is that the gym", "A: yeah what do you need"),
    ("A: good morning how can i help", "C: hi my name is sarah", "A: hi sarah what can i do for you"),
    ("A: dental clinic", "C: hi", "A: i'm sorry i'm a bit busy what is it about"),
]


@pytest.mark.parametrize("lines", PASSING)
def test_agent_name_in_opening_passes(lines):
    assert judge("self_introduction", dialogue(*lines)).verdict == PASS


@pytest.mark.parametrize("lines", FAILING)
def test_no_agent_name_fails(lines):
    assert judge("self_introduction", dialogue(*lines)).verdict == FAIL


def test_name_after_the_opening_window_fails():
    lines = ["A: good morning how can i help you"] + ["C: " + "so the thing is " * 10, "A: i see"] * 4
    lines.append("A: by the way my name is anna")
    result = judge("self_introduction", dialogue(*lines))
    assert result.verdict == FAIL


def test_detail_names_the_agent_and_sub_findings():
    result = judge("self_introduction", dialogue("A: Good morning, thank you for calling Ventura Dental, my name is Megan."))
    assert "agent gave name 'Megan'" in result.detail
    assert "greeting 'Good morning'" in result.detail
    assert "company 'Ventura Dental'" in result.detail


def test_evidence_is_the_introducing_utterance():
    transcript = dialogue("A: hello", "C: hi", "A: sorry this is anna speaking")
    result = judge("self_introduction", transcript)
    assert [e.text for e in result.evidence] == ["sorry this is anna speaking"]
    assert result.evidence[0].start == transcript.utterances[2].start


def test_detail_time_comes_from_word_timings():
    from qa_pipeline.records import Transcript, Utterance, Word

    words = tuple(Word(w, 0.5 + 0.4 * k, 0.8 + 0.4 * k) for k, w in enumerate("Hello, my name is Megan.".split()))
    transcript = Transcript((Utterance("agent", 0.5, 2.6, "Hello, my name is Megan.", words),), 3.0, 2)
    assert judge("self_introduction", transcript).detail.startswith("agent gave name 'Megan' at 2.1 s")
