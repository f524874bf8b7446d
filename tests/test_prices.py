"""Numbers that are not prices (issue 13): identifiers read out (kind 1) and money that is
an account amount, not the price of what is offered (kind 9). The rubric's own lexicon."""

import pytest

from qa_pipeline import nlp
from qa_pipeline.prices import find_prices
from qa_pipeline.records import FAIL, PASS

from _scoring_helpers import dialogue, etiquette, judge


def prices_in(text):
    lexicon = etiquette().criterion("no_price_before_need").params.lexicon()
    return [s.text for s in find_prices(nlp.parse([text])[0], lexicon)]


# --- kind 1: identifiers -------------------------------------------------------

IDENTIFIERS = [
    "Your account number is 471926.",
    "the number on the account is 077 123 456",
    "your booking reference is 58213",
    "your extension is 2045",
    "so that's extension 2045",
    "and your pin is 1234",
    "it's four seven one nine two six",
    "your phone number is 555 0192",
    "the postcode is 90210",
]

MONEY_NEAR_IDENTIFIERS = [
    ("your account number is 471926 and the card costs 5 dollars", ["costs 5 dollars"]),
    ("the fee on the account is 45", ["is 45"]),
    ("the number to quote is 20 dollars a month", ["20 dollars"]),
    ("the code is free but the kit is $45", ["$45"]),
    ("the exam is 45 with the fee included", ["is 45"]),
    ("The large bouquet is sixty.", ["is sixty"]),
]


@pytest.mark.parametrize("text", IDENTIFIERS)
def test_identifier_read_out_is_no_price(text):
    assert prices_in(text) == []


@pytest.mark.parametrize(("text", "found"), MONEY_NEAR_IDENTIFIERS)
def test_money_beside_an_identifier_is_still_a_price(text, found):
    assert prices_in(text) == found


# --- kind 9: account amounts ---------------------------------------------------

ACCOUNT_AMOUNTS = [
    "Your checking account balance is $89.",
    "we refunded forty dollars",
    "you paid 120 last month",
    "the balance on your checking account is eighty nine dollars and twelve cents",
    "You owe us 35 dollars from March.",
    "We have credited $20 back to your card.",
    "you have already paid 60 dollars",
    "There's an outstanding amount of $150.",
]

PRICES_BESIDE_ACCOUNTS = [
    ("your balance is $89 and the upgrade costs $10 a month", ["$10"]),
    ("Your refund will be forty dollars, and the new plan costs thirty a month.", ["costs thirty"]),
    ("the premium plan is 40 dollars a month", ["40 dollars"]),
    ("a replacement card is $5", ["$5"]),
    ("you'd pay 120 a year", ["you'd pay 120"]),
    ("the annual fee is 95 dollars", ["fee is 95 dollars"]),
]


@pytest.mark.parametrize("text", ACCOUNT_AMOUNTS)
def test_account_amount_is_no_price(text):
    assert prices_in(text) == []


@pytest.mark.parametrize(("text", "found"), PRICES_BESIDE_ACCOUNTS)
def test_price_beside_an_account_amount_is_a_price(text, found):
    assert prices_in(text) == found


@pytest.mark.parametrize(
    "lines",
    [("C: what's my balance", "A: Your checking account balance is $89."),
     ("C: I need to confirm my account", "A: Sure, your account number is 471926."),
     ("C: did you get my money", "A: yes, you paid 120 last month and we refunded forty dollars"),
     ("C: hi", "A: the number on the account is 077 123 456, is that right?")],
)
def test_no_price_before_need_ignores_identifiers_and_account_amounts(lines):
    result = judge("no_price_before_need", dialogue(*lines))
    assert result.verdict == PASS
    assert result.detail == "agent stated no price"


@pytest.mark.parametrize(
    "lines",
    [("C: what's my balance", "A: Your balance is $89 and the upgrade costs $10 a month."),
     ("C: can I get a new card", "A: your account number is 471926 and a new card is $5")],
)
def test_a_real_price_after_an_account_amount_still_fails(lines):
    assert judge("no_price_before_need", dialogue(*lines)).verdict == FAIL
