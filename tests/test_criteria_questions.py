"""asked_questions and no_price_before_need."""

import pytest

from qa_pipeline.records import FAIL, PASS

from _scoring_helpers import dialogue, etiquette, judge

ASKED_PASSING = [
    ("A: How can I help you?", "C: My tooth hurts.", "A: Which tooth is it?", "C: lower left", "A: Is the pain sharp?"),
    ("A: how can i help", "C: my tooth hurts", "A: which tooth is it", "C: lower left", "A: is the pain sharp or dull"),
    ("C: i need a parcel collected", "A: okay so what are you sending and where is it going"),
    ("A: may i have your name please", "C: david", "A: and what brings you in today"),
    ("C: my internet keeps dropping", "A: how long has this been happening", "C: a week",
     "A: do you have the router in front of you"),
    ("C: i want to join the gym", "A: great, could you tell me what you'd like to work on? and have you been a member before?"),
    # once the caller has spoken, the agent's questions count
    ("A: hello", "C: hi", "A: how can i tell you", "C: my tooth hurts", "A: which tooth is it"),
]

ASKED_FAILING = [
    ("A: How can I help you?", "C: I need a cleaning.", "A: We have Tuesday at ten.", "A: Anything else?"),
    ("A: how can i help you today", "C: my tooth hurts", "A: which tooth is it", "C: lower left",
     "A: okay is there anything else"),
    ("A: good morning what can i do for you", "C: the price of whitening", "A: it's two hundred dollars"),
    ("C: i need a plumber", "A: could you hold for a moment", "A: thank you for waiting we can come tomorrow"),
    ("A: hello", "C: hi i'd like to book", "A: sure i know how it works i'll book you in"),
    ("A: what a day it has been", "C: ha yes", "A: how nice of you to call"),
    # before the caller has said anything a question is the (misheard) opening offer
    ("A: Good morning, my name is Rachel. How can I tell you?", "C: are you open on saturday",
     "A: do you have an appointment"),
]


@pytest.mark.parametrize("lines", ASKED_PASSING)
def test_two_questions_about_the_caller_pass(lines):
    assert judge("asked_questions", dialogue(*lines)).verdict == PASS


@pytest.mark.parametrize("lines", ASKED_FAILING)
def test_fewer_than_two_questions_fail(lines):
    assert judge("asked_questions", dialogue(*lines)).verdict == FAIL


def test_offer_and_closing_check_are_reported_as_not_counted():
    result = judge("asked_questions", dialogue("A: How can I help you?", "C: nothing", "A: Anything else?"))
    assert "agent asked 0 question(s)" in result.detail
    assert "not counted: closing check, greeting offer" in result.detail


PRICE_PASSING = [
    # no price at all
    ("A: how can i help", "C: i need a cleaning", "A: which day suits you"),
    # the customer asks the price; the agent asks about the need first
    ("C: how much is a tooth extraction", "A: which tooth is bothering you", "C: the lower one",
     "A: is the pain sharp", "C: yes", "A: an extraction is ninety dollars"),
    ("C: What does whitening cost?", "A: Have you had whitening before?", "C: No.",
     "A: It's two hundred and fifty for the first course."),
    ("C: how much is the membership", "A: what would you like to work on", "C: weights", "A: that's forty five bucks a month"),
    # numbers that are not prices
    ("A: we have a slot at 3 pm", "C: great", "A: it's 10 minutes from the station"),
    ("C: how much", "A: who is it for", "C: my son", "A: for children it costs $35"),
]

PRICE_FAILING = [
    ("C: why is my bill so high", "A: extra data cost and dollars per gigabyte", "A: which plan are you on"),
    ("C: how much is a tooth extraction", "A: an extraction is ninety dollars"),
    ("C: how much is whitening", "A: it's $250", "A: which shade are you after"),
    ("C: what does it cost", "A: sixty dollars"),
    ("C: price for a courier", "A: costs 45 euros", "C: ok", "A: where is it going"),
    ("A: How can I help you?", "C: the price of an emergency visit", "A: The price is sixty five. When can you come in?"),
    ("C: how much is a cleaning", "A: that's 60 bucks", "A: anything else"),
]


@pytest.mark.parametrize("lines", PRICE_PASSING)
def test_need_question_before_price_passes(lines):
    assert judge("no_price_before_need", dialogue(*lines)).verdict == PASS


@pytest.mark.parametrize("lines", PRICE_FAILING)
def test_bare_price_fails(lines):
    assert judge("no_price_before_need", dialogue(*lines)).verdict == FAIL


def test_spelled_out_price_is_quoted_in_detail():
    result = judge("no_price_before_need", dialogue("C: how much", "A: it is one hundred and twenty dollars"))
    assert "twenty dollars" in result.detail


def test_price_in_the_same_utterance_after_the_question_passes():
    result = judge("no_price_before_need", dialogue("C: how much", "A: Which tooth is it? An extraction is ninety dollars."))
    assert result.verdict == PASS


# --- requests to repeat (issue 13, kind 10) --------------------------------------

REPEAT_REQUESTS = [
    "Can you repeat the reason for your call?",
    "sorry, could you say the zip code again?",
    "can you spell that?",
    "Sorry?",
    "Pardon?",
    "what was your name again?",
    "I didn't catch that, could you say it one more time?",
    "could you please repeat your account number",
]

NOT_REPEAT_REQUESTS = [
    ("what is your phone number?", "contact_request"),
    ("could you confirm your date of birth?", "contact_request"),
    ("may I have your name please?", "name_request"),
    ("has the leak started again?", "need"),
    ("is this a repeat prescription?", "need"),
    ("sorry, what is the reason for your call?", "need"),
    ("what did the engineer say about the boiler?", "need"),
]


def _kind(text):
    from qa_pipeline import nlp
    from qa_pipeline.criteria.questions import question_kind

    kinds = etiquette().criterion("asked_questions").params.question_kinds
    sentence = nlp.question_sentences(nlp.parse([text])[0])[0]
    return question_kind(sentence, kinds)


@pytest.mark.parametrize("text", REPEAT_REQUESTS)
def test_request_to_repeat_is_its_own_kind(text):
    assert _kind(text) == "repeat_request"


@pytest.mark.parametrize(("text", "kind"), NOT_REPEAT_REQUESTS)
def test_other_questions_are_not_repeat_requests(text, kind):
    assert _kind(text) == kind


@pytest.mark.parametrize(
    "lines",
    [("A: how can i help", "C: my card", "A: Can you repeat the reason for your call?", "C: my card",
      "A: sorry, could you say the zip code again?"),
     ("A: hello", "C: it's about my bill", "A: Sorry?", "C: my bill", "A: can you spell that?"),
     ("A: hello", "C: hi it's jo", "A: what was your name again?", "A: anything else?")],
)
def test_requests_to_repeat_do_not_count(lines):
    result = judge("asked_questions", dialogue(*lines))
    assert result.verdict == FAIL
    assert "repeat request" in result.detail


def test_identity_questions_still_count():
    lines = ("A: hello", "C: i want my balance", "A: what is your phone number?", "C: five five five",
             "A: sorry, could you say that again?", "C: five five five", "A: and what is your date of birth?")
    result = judge("asked_questions", dialogue(*lines))
    assert result.verdict == PASS
    assert "agent asked 2 question(s)" in result.detail
