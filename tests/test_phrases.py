"""Phrase lists: words inserted between a phrase's words (issue 13, kind 4), and phrases
that are negated or quoted rather than said (kind 3), on the real spaCy model."""

import pytest

from qa_pipeline import nlp, phrases
from qa_pipeline.records import FAIL, PASS

from _scoring_helpers import dialogue, judge

LISTENING = ("i'm listening", "i am listening", "listening go ahead", "i'm all ears")
CLOSING = ("goodbye", "bye", "thank you for calling", "take care", "have a * day")
TEMPLATES = ("my name is {name}", "my name's {name}", "this is {Name}", "{Name} speaking")


def doc(text):
    return nlp.parse([text])[0]


# --- kind 4: words inserted ----------------------------------------------------

INSERTED = [
    ("I'm still listening.", LISTENING, "I'm still listening"),
    ("Listening, go ahead.", LISTENING, "Listening, go ahead"),
    ("I am, uh, still listening.", LISTENING, "I am, uh, still listening"),
    ("Thank you so much for calling.", CLOSING, "Thank you so much for calling"),
    ("thank you very much for calling", CLOSING, "thank you very much for calling"),
    ("Take good care now, have a really lovely day.", CLOSING, "have a really lovely day"),
    ("i'm really all ears", LISTENING, "i'm really all ears"),
]

NOT_INSERTED = [
    ("I'm not listening to that.", LISTENING),  # a negation is never an inserted word
    ("I am never listening to the radio at work.", LISTENING),
    ("Thank you. For calling us back later, press two.", CLOSING),  # a full stop ends the phrase
    ("Thank you, how can I help, were you calling about the order?", CLOSING),  # a clause, not adverbs
    ("I'm the one listening to your recording.", LISTENING),
    ("take extra care with the box", CLOSING),
]


@pytest.mark.parametrize(("text", "phrase_list", "matched"), INSERTED)
def test_phrase_matches_with_inserted_words(text, phrase_list, matched):
    assert [s.text for s in nlp.find_phrases(doc(text), phrase_list)][-1] == matched


@pytest.mark.parametrize(("text", "phrase_list"), NOT_INSERTED)
def test_phrase_does_not_match_across_other_words(text, phrase_list):
    assert nlp.find_phrases(doc(text), phrase_list) == []


@pytest.mark.parametrize(
    ("text", "names"),
    [("my name's actually Bea", ["Bea"]), ("My name is, uh, Siobhan.", ["Siobhan"]),
     ("this is actually Tom from accounts", ["Tom"]), ("Anna, uh, speaking.", ["Anna"]),
     ("my name is really bea", ["bea"]),
     # near misses: the slot is a common word, or a negation stands in the gap
     ("my name's actually not important", []), ("this is really great", []), ("my name isn't Bea", []),
     ("this is just fine thanks", []), ("this is not Anna", [])],
)
def test_name_templates_allow_inserted_words(text, names):
    assert [m.name for m in nlp.find_names(doc(text), TEMPLATES)] == names


def test_wildcard_and_skip_syntax():
    assert [s.text for s in nlp.find_phrases(doc("could you say the zip code again"), ("say ... again",))] == [
        "say the zip code again"]
    assert nlp.find_phrases(doc("say it to me once more and then again"), ("say ... again",)) == []
    assert [s.text for s in nlp.find_phrases(doc("have a nice day"), ("have a * day",))] == ["have a nice day"]


def test_inserted_words_work_on_a_blank_pipeline():
    import spacy

    blank = spacy.blank("en")
    assert [s.text for s in phrases.find_phrases(blank("thank you, um, for calling"), CLOSING)] == [
        "thank you, um, for calling"]


@pytest.mark.parametrize(
    "lines",
    [("A: Good morning, I'm still listening.",), ("A: Listening, go ahead.",), ("A: yes i am, uh, listening",)],
)
def test_im_listening_with_inserted_words_fails_the_criterion(lines):
    assert judge("no_im_listening", dialogue(*lines)).verdict == FAIL


def test_thank_you_so_much_for_calling_is_a_goodbye():
    lines = ("A: how can i help", "C: that's all", "A: Thank you so much for calling.")
    assert judge("said_goodbye", dialogue(*lines)).verdict == PASS


# --- kind 3: negation and quotation ----------------------------------------------

NOT_PERFORMED = [
    ("Please don't say goodbye yet.", CLOSING, "negated"),
    ("I didn't say goodbye.", CLOSING, "negated"),
    ("I'm not going to say goodbye yet, let me transfer you.", CLOSING, "negated"),
    ("we never say I'm listening here", LISTENING, "negated"),
    ("She said goodbye and hung up.", CLOSING, "quoted"),
    ('We don\'t use "I\'m listening" at this company.', LISTENING, "negated"),
    ("Avoid saying I'm listening on the phone.", LISTENING, "quoted"),
    ("the word goodbye is on the script", CLOSING, "quoted"),
    ("You can say goodbye to high bills with this plan.", CLOSING, "quoted"),
    ("I have said goodbye to him already.", CLOSING, "quoted"),
]

PERFORMED = [
    ("Okay, goodbye.", CLOSING),
    ("I just wanted to say thank you for calling.", CLOSING),
    ("let me say thank you for calling", CLOSING),
    ("we'd like to say thank you for calling", CLOSING),
    ("I've got to say goodbye now.", CLOSING),
    ("could you say your name for me?", ("your name",)),
    ("can you tell me your name please", ("your name",)),
    ("sorry, I didn't hear your name", ("your name",)),
    ("i don't think so goodbye", CLOSING),  # a run-on: the negation belongs to "think"
    ("Don't worry, I'm listening.", LISTENING),
    ("No problem at all, take care, bye.", CLOSING),
    ("Thank you for calling, have a nice day.", CLOSING),
]


@pytest.mark.parametrize(("text", "phrase_list", "why"), NOT_PERFORMED)
def test_negated_or_quoted_phrase_is_not_the_act(text, phrase_list, why):
    spans = nlp.find_phrases(doc(text), phrase_list)
    assert spans, "the phrase itself must match"
    assert [nlp.not_performed(s) for s in spans] == [why] * len(spans)
    assert nlp.find_acts(doc(text), phrase_list) == []


@pytest.mark.parametrize(("text", "phrase_list"), PERFORMED)
def test_phrase_said_plainly_is_the_act(text, phrase_list):
    assert nlp.find_acts(doc(text), phrase_list)


NEGATED_CLOSINGS = [
    ("A: thank you for holding", "A: please don't say goodbye yet, i'm putting you through to billing"),
    ("A: how can i help", "C: i said goodbye to my old provider", "A: okay, I didn't say goodbye, one moment"),
    ("A: one moment", "A: we never say goodbye before the transfer completes"),
    ("A: ok", "A: my colleague said goodbye, I'll put you back to her"),
    ("A: sorry, don't hang up and don't say bye yet"),
]

PLAIN_CLOSINGS = [
    ("A: thank you for holding", "A: goodbye then"),
    ("A: that's everything, I won't keep you, goodbye"),
    ("A: i just wanted to say thank you for calling"),
    ("A: don't worry about it, take care, bye"),
    ("A: no problem, have a lovely day"),
]


@pytest.mark.parametrize("lines", NEGATED_CLOSINGS)
def test_negated_goodbye_is_no_closing(lines):
    lines = (lines,) if isinstance(lines, str) else lines
    result = judge("said_goodbye", dialogue(*lines))
    assert result.verdict == FAIL
    assert "negated" in result.detail or "quoted" in result.detail


@pytest.mark.parametrize("lines", PLAIN_CLOSINGS)
def test_plain_goodbye_near_a_negation_still_counts(lines):
    lines = (lines,) if isinstance(lines, str) else lines
    assert judge("said_goodbye", dialogue(*lines)).verdict == PASS


@pytest.mark.parametrize(
    "line",
    ["A: we never say I'm listening here", "A: Please don't say I'm listening, say how can I help.",
     "A: I didn't say I'm all ears.", "A: our guide says avoid saying I'm listening",
     "A: They told me: \"I'm listening\" is wrong."],
)
def test_quoted_im_listening_is_no_violation(line):
    result = judge("no_im_listening", dialogue(line))
    assert result.verdict == PASS
    assert "not said as such" in result.detail
