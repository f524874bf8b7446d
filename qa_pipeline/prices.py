"""Rule stage: spotting amounts of money in transcript utterances.

Whisper writes prices many ways ("$60", "sixty dollars", "the price is forty five"), so
amounts are found with spaCy token patterns after cue words, then kept only where the
words around them say money. All word lists come from the rubric (`PriceLexicon`).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass
from typing import Any

from qa_pipeline.languages import ENGLISH, language
from qa_pipeline.nlp import WH_WORDS, load_nlp


@dataclass(frozen=True)
class PriceLexicon:
    """Words that mark an amount of money (all lists from the rubric).

    An amount after a `price_cue` ("costs", "the price is") is a price. An amount after a
    weaker `amount_cue` ("is", "it's", "from") is one only when it looks like money: a
    "hundred"/"thousand", a `per_unit` after it ("a month"), or a `price_word` in the
    sentence ("fee"). An amount followed by a noun or a `not_amount_word` counts something
    else ("it's 10 minutes", "two adults").

    Two kinds of number are not prices. An identifier ("your account number is 471926",
    "extension 2045", "oh seven seven one") is a number said of an `identifier_word`, or
    one shaped like a code (a leading zero, five or more digits, a run of single digits);
    it counts only with the money said outright ("$", "dollars"). An account amount ("your
    balance is $89", "we refunded forty dollars", "you paid 120 last month") is money, but
    no price of what is offered: its clause has an `account_word`.
    """

    currency_words: tuple[str, ...]
    price_cues: tuple[str, ...]
    amount_cues: tuple[str, ...] = ()
    price_words: tuple[str, ...] = ()
    per_unit: tuple[str, ...] = ()
    not_amount_words: tuple[str, ...] = ()
    identifier_words: tuple[str, ...] = ()
    account_words: tuple[str, ...] = ()


def lexicon_from(params: Any) -> PriceLexicon:
    """The lexicon from an object that has its fields by name (a criterion's params)."""
    return PriceLexicon(**{f.name: getattr(params, f.name) for f in dataclasses.fields(PriceLexicon)})


_MAGNITUDES = frozenset({"hundred", "thousand", "grand", "million"})
# Words between a cue and the amount that make it a time or place, not a price ("is at ten").
_NOT_ORDINAL = r"^(?!(\d+(st|nd|rd|th)|first|second|third|[a-z]+th)$)"  # "sixtieth" is no amount
_NOT_PRICE_LINKS = ["at", "on", "in", "until", "by", "before", "after", "for", "to", "number"]


@functools.lru_cache(maxsize=16)
def _price_matcher(lexicon: PriceLexicon) -> Any:
    from spacy.matcher import Matcher

    nlp = load_nlp()
    matcher = Matcher(nlp.vocab)
    cardinal = {"LIKE_NUM": True, "LOWER": {"REGEX": _NOT_ORDINAL}}
    number = dict(cardinal, OP="+")
    hyphenated = [number, {"ORTH": "-"}, cardinal]  # "eight ninety-nine"
    not_links = _NOT_PRICE_LINKS + list(lexicon.identifier_words)  # "it's extension 2045"
    link = {"IS_ALPHA": True, "LIKE_NUM": False, "LENGTH": {">=": 2}, "LOWER": {"NOT_IN": not_links}, "OP": "{0,3}"}
    matcher.add("SYMBOL", [[{"ORTH": {"IN": ["$", "€", "£"]}}, number]])
    currency = {"LOWER": {"IN": list(lexicon.currency_words)}}
    matcher.add("AMOUNT", [[number, currency], hyphenated + [currency]])
    # "dollars per gigabyte": a rate, even where ASR lost the number before it
    matcher.add("RATE", [[currency, {"LOWER": "per"}, {"IS_ALPHA": True, "IS_STOP": False}]])
    for label, cues in (("CUE", lexicon.price_cues), ("WEAK", lexicon.amount_cues)):
        cue_tokens = [[{"LOWER": t.lower_} for t in nlp.make_doc(cue)] for cue in cues]
        patterns = [c + [link, number] for c in cue_tokens] + [c + [link] + hyphenated for c in cue_tokens]
        if patterns:
            matcher.add(label, patterns)
    return matcher


def find_prices(doc: Any, lexicon: PriceLexicon) -> list[Any]:
    """Spans that state an amount of money: "$60", "sixty dollars", "60 bucks", "the price is 45".

    spaCy MONEY entities count too, when they contain a number. Overlapping hits merge
    into one span ("it's 45 euros"), and so do hits joined by "and".
    """
    if doc.lang_ != ENGLISH:
        return _amounts_with_currency(doc, lexicon)
    matcher = _price_matcher(lexicon)
    spans = [span for span in matcher(doc, as_spans=True) if _is_price(span, lexicon)]
    spans += [e for e in doc.ents if e.label_ == "MONEY" and any(t.like_num for t in e)
              and (_says_money(e, lexicon) or not _identifier(e, lexicon))]
    spans = [s for s in spans if not is_account_amount(s, lexicon)]
    merged: list[list[int]] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        joined_by_and = merged and span.start == merged[-1][1] + 1 and doc[span.start - 1].lower_ == "and"
        if merged and (span.start < merged[-1][1] or joined_by_and):  # "one hundred and twenty dollars"
            merged[-1][1] = max(merged[-1][1], span.end)
        else:
            merged.append([span.start, span.end])
    return [doc[a:b] for a, b in merged]


_SIGNS = ("$", "€", "£", "¥", "￥")


def _amounts_with_currency(doc: Any, lexicon: PriceLexicon) -> list[Any]:
    """Outside English: a number with a currency word after it or a sign before it ("三千円",
    "3,000円", "¥500"), in a sentence without an `account_word` ("残高は5000円です")."""
    lang = language(doc.lang_)
    currency = frozenset(lexicon.currency_words)
    found = []
    for t in doc:
        if not (t.like_num or t.pos_ == "NUM"):
            continue
        after = doc[t.i + 1] if t.i + 1 < len(doc) else None
        before = doc[t.i - 1] if t.i > 0 else None
        if after is not None and lang.key(after) in currency:
            span = doc[_grouped_start(doc, t.i) : t.i + 2]
        elif before is not None and before.text in _SIGNS:
            span = doc[t.i - 1 : t.i + 1]
        else:
            continue
        if not any(lang.key(w) in lexicon.account_words for w in span.sent):
            found.append(span)
    return found


_DIGITS = re.compile(r"\d{1,3}")
_THOUSANDS_GROUP = re.compile(r"\d{3}")


def _grouped_start(doc: Any, i: int) -> int:
    """Where the number that ends at token `i` begins, when it is written with spaces between
    its thousands groups, as ASR writes Japanese and Russian amounts ("7 000円", "12 500
    рублей"): the tokenizer splits it, and "000円" alone is no price."""
    while (i > 0 and _THOUSANDS_GROUP.fullmatch(doc[i].text) and _DIGITS.fullmatch(doc[i - 1].text)
           and doc[i - 1].whitespace_):
        i -= 1
    return i


def _is_price(span: Any, lexicon: PriceLexicon) -> bool:
    if span.label_ in ("SYMBOL", "AMOUNT"):
        return True
    if span.label_ == "RATE":  # stated as a price, not asked ("how many dollars per month?")
        sent, before = span.sent, span.doc[span.start - 1] if span.start > 0 else None
        asked = sent.text.rstrip().endswith("?") or any(t.lower_ in WH_WORDS for t in span.doc[sent.start : span.start])
        unit = before is not None and before.lower_ in ("in", "of")  # "we bill in dollars per hour"
        return not (asked or unit) and _has_price_word(sent, lexicon)
    doc = span.doc
    following = doc[span.end] if span.end < len(doc) else None
    after = " ".join(t.lower_ for t in doc[span.end : span.end + 3])
    per_unit = any(after == u or after.startswith(u + " ") for u in lexicon.per_unit)
    if following is not None and not per_unit:
        if following.lower_ in lexicon.not_amount_words or following.lower_ in _NOT_PRICE_LINKS[-1:]:
            return False
        if following.pos_ in ("NOUN", "PROPN") and following.lower_ not in lexicon.currency_words:
            return False
    if span.label_ == "CUE":
        return True
    if _identifier(span, lexicon) and not per_unit:
        return False
    sentence = span.sent
    numbers = [t for t in span if t.like_num]
    return (
        per_unit
        or any(t.lower_ in _MAGNITUDES for t in span)
        or len(numbers) >= 3  # "fifty four eighty five", "twenty nine ninety-nine"
        or _ends_sentence(doc, numbers[-1].i)  # "the bouquet is sixty."
        or _has_price_word(sentence, lexicon)
    )


def _has_price_word(sentence: Any, lexicon: PriceLexicon) -> bool:
    return any(t.lower_ in lexicon.price_words or t.lemma_.lower() in lexicon.price_words for t in sentence)


def _ends_sentence(doc: Any, i: int) -> bool:
    return i == len(doc) - 1 or doc[i + 1].text in (".", "!", ",", ";")


# --- numbers that are not prices ---------------------------------------------

_DIGIT_WORDS = frozenset({"zero", "oh", "o", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                          "double", "triple"})
_CLAUSE_HEADS = ("VERB", "AUX")


def _says_money(span: Any, lexicon: PriceLexicon) -> bool:
    """A currency sign or word in or right after `span`."""
    doc = span.doc
    near = doc[max(0, span.start - 1) : min(len(doc), span.end + 1)]
    return any(t.text in ("$", "€", "£") or t.lower_ in lexicon.currency_words for t in near)


def _identifier(span: Any, lexicon: PriceLexicon) -> bool:
    """Whether the number in `span` reads as an identifier: shaped like a code, or said of
    an identifier word ("your account number is ...", "the number on the account is ...")."""
    numbers = [t for t in span if t.like_num or t.lower_ in _DIGIT_WORDS]
    if not numbers:
        return False
    if _code_shaped(_number_run(numbers[0])):
        return True
    subject = _subject_of(numbers[0])
    return subject is not None and (subject.lower_ in lexicon.identifier_words
                                    or subject.lemma_.lower() in lexicon.identifier_words)


def _number_run(token: Any) -> list[Any]:
    """The run of number words around `token` ("four seven one nine"), whole."""
    doc, start, end = token.doc, token.i, token.i + 1
    numeric = lambda t: t.like_num or t.lower_ in _DIGIT_WORDS  # noqa: E731
    while start > 0 and numeric(doc[start - 1]):
        start -= 1
    while end < len(doc) and numeric(doc[end]):
        end += 1
    return list(doc[start:end])


def _code_shaped(numbers: list[Any]) -> bool:
    """A leading zero ("077"), five or more bare digits ("471926"), or four or more digits
    read one by one ("four seven one nine", "oh seven seven")."""
    digits = [t.text for t in numbers if t.text.isdigit()]
    if any(d.startswith("0") and len(d) > 1 or len(d) >= 5 for d in digits):
        return True
    singles = sum(1 for t in numbers if t.lower_ in _DIGIT_WORDS or (t.text.isdigit() and len(t.text) == 1))
    return singles >= 4 or any(t.lower_ in ("oh", "o", "double", "triple") for t in numbers[:1])


def _subject_of(token: Any) -> Any | None:
    """The subject of the clause `token` is the complement of ("number" in "your number is 4471")."""
    head = token
    while head.pos_ not in _CLAUSE_HEADS and head.head.i != head.i:
        head = head.head
    return next((c for c in head.children if c.dep_ in ("nsubj", "nsubjpass")), None)


def is_account_amount(span: Any, lexicon: PriceLexicon) -> bool:
    """Whether an amount of money is an account amount, not a price: its clause speaks of
    a balance, a refund or a payment made ("your balance is $89", "we refunded forty
    dollars"). The clause is the verb the amount depends on with its words, less the
    clauses joined to it ("your balance is $89 and the upgrade costs $10": $10 is a price)."""
    if not lexicon.account_words:
        return False
    numbers = [t for t in span if t.like_num] or list(span)
    head = numbers[-1]
    while head.pos_ not in _CLAUSE_HEADS and head.head.i != head.i:
        head = head.head
    others = {t.i for c in head.children if c.dep_ == "conj" and c.pos_ in _CLAUSE_HEADS and not _contains(c, span)
              for t in c.subtree}
    clause = [t for t in head.subtree if t.i not in others]
    return any(t.lower_ in lexicon.account_words or t.lemma_.lower() in lexicon.account_words for t in clause)


def _contains(token: Any, span: Any) -> bool:
    return token.left_edge.i <= span.start and span.end - 1 <= token.right_edge.i
