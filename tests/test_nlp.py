"""Rule stage: spaCy patterns over Whisper-style text (unreliable casing and punctuation)."""

import pytest

from qa_pipeline import nlp
from qa_pipeline.prices import PriceLexicon, find_prices

TEMPLATES = ("my name is {name}", "this is {Name}", "{Name} speaking", "you're speaking with {name}", "{Name} here",
             "i'm {Name}", "it's {Name}")
NOT_NAMES = frozenset({"dental", "reception", "office"})
PRICES = PriceLexicon(
    currency_words=("dollars", "dollar", "bucks", "euros", "pounds"),
    price_cues=("costs", "the price is", "price is", "that's"),
    amount_cues=("is", "'s", "from"),
    price_words=("fee", "price"),
    per_unit=("a month", "each"),
    not_amount_words=("minutes", "litres"),
)


def doc(text):
    return nlp.parse([text])[0]


def test_model_loads_once():
    assert nlp.load_nlp() is nlp.load_nlp()


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("my name is Anna", ["Anna"]),
        ("Hi, my name is David Mendes.", ["David Mendes"]),
        ("good morning ventura dental this is anna how can i help you", ["anna"]),
        ("Daniel speaking, how can I help?", ["Daniel"]),
        ("you're speaking with irene", ["irene"]),
        ("olivia here what can i do for you", ["olivia"]),
        ("my name is uh sarah connor", ["sarah connor"]),
        ("this is amy from the dental practice", ["amy"]),  # the tagger calls "amy" an adverb
        ("Hello, it's Raj from Clearview.", ["Raj"]),
        ("this is great thank you", []),
        ("thank you for calling this is ventura dental", []),
        ("i'm calling about my tooth", []),
        ("i'm fine thanks", []),
        ("the office here is closed", []),
        ("this is customer service", []),
        ("Yes, this is reception.", []),
    ],
)
def test_find_names(text, names):
    assert [m.name for m in nlp.find_names(doc(text), TEMPLATES, NOT_NAMES)] == names


@pytest.mark.parametrize(
    ("text", "questions"),
    [
        ("How can I help you?", ["How can I help you?"]),
        ("okay so how long has it been hurting", ["so how long has it been hurting"]),
        ("could you tell me your name", ["could you tell me your name"]),
        ("do you have insurance", ["do you have insurance"]),
        ("that sounds good. do you have insurance", ["do you have insurance"]),
        ("sure. and when did it start? okay.", ["and when did it start?"]),
        ("what are you sending and where is it going", ["what are you sending", "and where is it going"]),
        ("the tooth hurts, right?", ["the tooth hurts, right?"]),
        ("Is the pain sharp? Or more of a dull ache?", ["Is the pain sharp? Or more of a dull ache?"]),
        ("Morning, Pulse, how can I help", ["Morning, Pulse, how can I help"]),
        ("what a nice day", []),
        ("I know how it works", []),
        ("what I mean is fine", []),
        ("when you come in bring your card", []),
        ("how nice", []),
        ("we have a slot on tuesday", []),
    ],
)
def test_question_sentences(text, questions):
    assert [s.text for s in nlp.question_sentences(doc(text))] == questions


@pytest.mark.parametrize(
    ("text", "prices"),
    [
        ("the exam is $45", ["$45"]),
        ("it costs sixty dollars", ["costs sixty dollars"]),
        ("that's 60 bucks", ["that's 60 bucks"]),
        ("costs 45 euros", ["costs 45 euros"]),
        ("the price is one hundred twenty", ["the price is one hundred twenty"]),
        ("it is one hundred and twenty dollars", ["is one hundred and twenty dollars"]),
        ("a cleaning is ninety five dollars", ["ninety five dollars"]),
        ("Membership is twenty nine ninety-nine a month.", ["is twenty nine ninety-nine"]),
        ("The large bouquet is sixty.", ["is sixty"]),
        ("whitening starts from two hundred", ["from two hundred"]),
        ("the exam is 45 with the fee included", ["is 45"]),
        ("I can see you at 3 pm", []),
        ("we have 2 slots", []),
        ("how much does it cost", []),
        ("the appointment is at ten", []),
        ("it's 10 minutes from the station", []),
        ("that's 2 visits", []),
        ("the minimum order is five hundred litres", []),
        ("so it is for your mum's sixtieth, right", []),
        ("the tooth is the second one", []),
        # a rate said with a price word, even where ASR lost the number
        ("the extra data fee is in dollars per gigabyte", []),
        ("extra data has a fee and dollars per gigabyte", ["dollars per gigabyte"]),
        ("the price is how many dollars per month?", []),
        ("we work in dollars per hour", []),
    ],
)
def test_find_prices(text, prices):
    assert [s.text for s in find_prices(doc(text), PRICES)] == prices


@pytest.mark.parametrize(
    ("text", "found"),
    [("Go ahead, I'm listening.", ["I'm listening"]), ("GOODBYE", ["GOODBYE"]), ("i listened to it", [])],
)
def test_find_phrases_ignores_case(text, found):
    assert [s.text for s in nlp.find_phrases(doc(text), ("i'm listening", "goodbye", "i listen"))] == found


@pytest.mark.parametrize(("text", "expected"), [("Men's", "mens"), ("O'Neil,", "oneil"), ("Mr.", "mr")])
def test_normalise_word(text, expected):
    assert nlp.normalise_word(text) == expected
