"""no_im_listening and said_goodbye: phrase criteria."""

import pytest

from qa_pipeline.records import FAIL, NOT_APPLICABLE, PASS

from _scoring_helpers import dialogue, judge

LISTENING_CLEAN = [
    ("A: good morning how can i help you",),
    ("A: I listened to your message and called you back.",),
    ("A: i'm listening to your voicemail now and i see you called twice",),
    ("A: we listen to every customer", "C: okay"),
    ("C: hello? are you listening?", "A: yes sorry go ahead"),
    ("A: Listening carefully is our job.",),
]

LISTENING_VIOLATIONS = [
    ("A: good morning i'm listening",),
    ("A: Hello, Ventura Dental, I'm listening.",),
    ("A: go ahead i am listening",),
    ("A: yes, I'm all ears.",),
    ("C: hi", "A: im listening"),
    ("A: hello", "C: so about my order", "A: mm-hmm i'm listening to you"),
]


@pytest.mark.parametrize("lines", LISTENING_CLEAN)
def test_no_im_listening_passes(lines):
    assert judge("no_im_listening", dialogue(*lines)).verdict == PASS


@pytest.mark.parametrize("lines", LISTENING_VIOLATIONS)
def test_im_listening_variant_fails(lines):
    assert judge("no_im_listening", dialogue(*lines)).verdict == FAIL


def test_im_listening_detail_quotes_the_phrase():
    result = judge("no_im_listening", dialogue("A: Hello, I'm listening."))
    assert result.detail.startswith("agent said 'I'm listening' at ")


def test_im_listening_is_checked_without_roles():
    result = judge("no_im_listening", dialogue("A: hello i'm listening", "C: hi", roles_known=False))
    assert result.verdict == FAIL
    assert result.detail.startswith("a speaker said")


GOODBYE_PASSING = [
    ("A: how can i help", "C: that's all thanks", "A: thank you for calling have a nice day"),
    ("A: ok see you tuesday goodbye",),
    ("A: Great, take care, bye now.",),
    ("A: all sorted have a good one bye",),
    ("A: thanks for your call", "C: bye"),
    ("A: okay bye-bye",),
    ("A: Thank you, have a lovely afternoon.",),
]

GOODBYE_FAILING = [
    ("A: how can i help", "C: that's all thanks", "A: okay"),
    ("A: is there anything else", "C: no bye", "A: right"),
    ("C: thanks goodbye", "A: mm-hmm"),
    ("A: thank you for waiting i have found a slot", "C: great bye"),
    ("A: we are open until seven on wednesdays",),
]


@pytest.mark.parametrize("lines", GOODBYE_PASSING)
def test_polite_closing_passes(lines):
    assert judge("said_goodbye", dialogue(*lines)).verdict == PASS


@pytest.mark.parametrize("lines", GOODBYE_FAILING)
def test_missing_closing_fails(lines):
    assert judge("said_goodbye", dialogue(*lines)).verdict == FAIL


def test_goodbye_before_the_closing_window_fails():
    lines = (["A: goodbye bob nice to see you", "A: now how can i help you"]
             + ["C: " + "well you see " * 12, "A: i understand"] * 4)
    assert judge("said_goodbye", dialogue(*lines)).verdict == FAIL


def test_goodbye_needs_roles():
    assert judge("said_goodbye", dialogue("A: bye", roles_known=False)).verdict == NOT_APPLICABLE
