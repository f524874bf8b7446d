"""Presidio recognizers for PII as it is spoken and as ASR writes it.

Each recognizer reads the conversation stream (`qa_pipeline.redaction.stream`) and returns
Presidio `RecognizerResult`s, one per utterance piece of a finding, so a number split across
utterances is redacted in each. Context words and unit lists come from the lexicon
(`lexicon.yaml`), not from code.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from presidio_analyzer import EntityRecognizer, RecognizerResult

from qa_pipeline.redaction.number_words import is_russian_ordinal
from qa_pipeline.redaction.spoken import CONNECTORS, MONTHS, DigitRun, digit_runs, luhn_ok, phrase_in
from qa_pipeline.redaction.stream import Parsed, parse

_LITERAL_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_UK_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?[ -]*\d[A-Z]{2}\b")


def _followed_by(parsed: Parsed, index: int, words: set[str]) -> bool:
    nxt = parsed.words_after(index, 1)
    return bool(nxt) and nxt[0] in words


class _StreamRecognizer(EntityRecognizer):
    """Shared plumbing: lexicon access and results per utterance piece."""

    ENTITIES: tuple[str, ...] = ()

    def __init__(self, lexicon: Mapping[str, Any], context_words: int = 14):
        self.lexicon = lexicon
        self.context_words = context_words
        self._terms: dict[str, frozenset[str]] = {}
        super().__init__(supported_entities=list(self.ENTITIES), supported_language="en")

    def load(self) -> None:  # nothing to load: rules only
        pass

    def terms(self, key: str) -> frozenset[str]:
        """The lexicon's word list `key`, lower-cased, built once per recognizer."""
        if key not in self._terms:
            self._terms[key] = frozenset(str(w).lower() for w in self.lexicon.get(key, ()))
        return self._terms[key]

    def words(self, key: str) -> list[str]:
        return [str(w).lower() for w in self.lexicon.get("context", {}).get(key, ())]

    def results(self, parsed: Parsed, entity: str, first: int, last: int, speaker: str,
                score: float, entities) -> list[RecognizerResult]:
        if entity not in entities:
            return []
        return [RecognizerResult(entity, s, e, score) for s, e in parsed.pieces(first, last, speaker)]


class SpokenNumberRecognizer(_StreamRecognizer):
    """Card, phone and account/reference numbers read out as digits or words; ZIP codes.

    A run of digits is a card number when it has 13-19 digits and passes the Luhn check,
    or follows card words; a phone number after phone words or when `phonenumbers` finds
    it possible; an account/reference number after account words; any other run of 7 or
    more digits is treated as an account number. A short run beside a currency or unit
    ("$40", "20 gigabytes", "10 pm") is left alone.
    """

    ENTITIES = ("CARD_NUMBER", "PHONE_NUMBER", "ACCOUNT_NUMBER", "ADDRESS")

    def analyze(self, text, entities, nlp_artifacts=None):
        parsed = parse(text)
        found: list[RecognizerResult] = []
        for speaker in parsed.speakers():
            for run in digit_runs(list(parsed.tokens), parsed.others(speaker)):
                entity, score = self.classify(parsed, run)
                if entity:
                    first, last = _widen(parsed, run.first, run.last)
                    found += self.results(parsed, entity, first, last, speaker, score, entities)
        return found

    def classify(self, parsed: Parsed, run: DigitRun) -> tuple[str | None, float]:
        before = parsed.words_before(run.first, self.context_words)
        after = parsed.words_after(run.last, 4)
        near = before[-6:]
        n = run.length
        if phrase_in(before[-8:], self.words("card_short")) and n >= 3:
            return "CARD_NUMBER", 0.8
        if phrase_in(before[-3:], self.words("ends_in")) and n >= 4:  # "the card ends in 9855"
            for key, entity in (("card", "CARD_NUMBER"), ("phone", "PHONE_NUMBER")):
                if phrase_in(before, self.words(key)):
                    return entity, 0.8
        if 13 <= n <= 19 and luhn_ok(run.digits):
            return "CARD_NUMBER", 0.95
        if self._is_quantity(parsed, run, after) and n < 7:
            return None, 0.0
        if phrase_in(near, self.words("postcode")) and n >= 4:
            return "ADDRESS", 0.7
        if phrase_in(before, self.words("card")) and n >= 8:
            return "CARD_NUMBER", 0.8
        if phrase_in(before, self.words("phone")) and n >= 6:
            return "PHONE_NUMBER", 0.8
        if phrase_in(before + after, self.words("account")) and n >= 4:
            return "ACCOUNT_NUMBER", 0.75
        if n >= 13:
            return "CARD_NUMBER", 0.6
        if 10 <= n <= 12 and _possible_phone(run.digits, self.lexicon.get("phone_regions") or ("US", "GB")):
            return "PHONE_NUMBER", 0.6
        if n >= 7:
            return "ACCOUNT_NUMBER", 0.5
        return None, 0.0

    def _is_quantity(self, parsed: Parsed, run: DigitRun, after: list[str]) -> bool:
        units_before = self.terms("units_before")
        units_after = self.terms("units_after")
        prev = parsed.tokens[run.first - 1].lower if run.first > 0 else ""
        inner = {parsed.tokens[i].lower for i in range(run.first, run.last + 1)}
        return prev in units_before or bool(inner & units_before) or (bool(after) and after[0] in units_after)


def _identifier_part(token) -> bool:
    """Digits, separators and letter groups ("POL", "AA" for "double eight") of an identifier."""
    text = token.text
    return bool(token.digits) or token.lower in CONNECTORS or (text.isalpha() and text.isupper() and len(text) <= 4
                                                               and text not in ("I", "A"))


def _widen(parsed: Parsed, first: int, last: int) -> tuple[int, int]:
    """Grow a number found as PII over the identifier parts around it in the same line
    (a stray digit ASR split off with a full stop, a letter prefix), never over plain words."""
    line = parsed.line_of[first]
    while first > 0 and parsed.line_of[first - 1] == line and _identifier_part(parsed.tokens[first - 1]):
        first -= 1
    while last + 1 < len(parsed.tokens) and parsed.line_of[last + 1] == line and _identifier_part(parsed.tokens[last + 1]):
        last += 1
    while first < last and not _has_text(parsed.tokens[first]):
        first += 1
    while last > first and not _has_text(parsed.tokens[last]):
        last -= 1
    return first, last


def _has_text(token) -> bool:
    return token.text[0].isalnum()


def _possible_phone(digits: str, regions) -> bool:
    """Whether `phonenumbers` finds `digits` a possible number in any of `regions` (ISO codes)."""
    try:
        import phonenumbers
    except ImportError:  # the redact extra brings it; without it, length alone decides
        return True
    for region in regions:
        try:
            if phonenumbers.is_possible_number(phonenumbers.parse(digits, region)):
                return True
        except phonenumbers.NumberParseException:
            continue
    return False


class SpokenEmailRecognizer(_StreamRecognizer):
    """Email addresses, written ("a.b@c.com") or spoken ("martin dot okafor at fastmail dot com").

    A spoken address ends in "dot"/"." and a known domain ending; it runs back from there
    over its words until a stop word ("is", "my", "email", ...). It counts as an email when
    it holds "at"/"@" or email words come just before it, so "ventura dot com" stays.
    """

    ENTITIES = ("EMAIL",)

    def analyze(self, text, entities, nlp_artifacts=None):
        if "EMAIL" not in entities:
            return []
        parsed = parse(text)
        found = [RecognizerResult("EMAIL", m.start(), m.end(), 0.95) for m in _LITERAL_EMAIL.finditer(text)]
        domains = self.terms("email_domains")
        tokens = parsed.tokens
        for i, token in enumerate(tokens):
            if token.lower in domains and i > 0 and tokens[i - 1].lower in (".", "dot") and parsed.line_of[i] >= 0:
                found += self._spoken(parsed, i, domains)
            elif token.lower == "at" and parsed.line_of[i] >= 0:
                found += self._without_suffix(parsed, i)
        return found

    def _without_suffix(self, parsed: Parsed, at: int) -> list[RecognizerResult]:
        """"john dot smith at gmail": a local part, "at" and a known mail provider or any word after
        email words, with no "dot com" after it. The local part must look spelled ("dot",
        "underscore", digits) unless both the provider and email words are there."""
        tokens, line = parsed.tokens, parsed.line_of[at]
        if at + 1 >= len(tokens) or parsed.line_of[at + 1] != line or not tokens[at + 1].text[0].isalnum():
            return []
        end = at + 1
        while end + 1 < len(tokens) and parsed.line_of[end + 1] == line and \
                tokens[end + 1].lower in self.terms("email_providers"):  # "proton mail"
            end += 1
        provider = tokens[at + 1].lower in self.terms("email_providers")
        first = at
        stop = self.terms("email_stop")
        while first - 1 >= 0 and parsed.line_of[first - 1] == line and at - first < 10:
            previous = tokens[first - 1]
            if previous.lower in stop or previous.text in (",", "?", "!") or previous.lower == "at":
                break
            first -= 1
        local = [t.lower for t in tokens[first:at]]
        if not local or local[0] in (".", "dot"):
            return []
        told = phrase_in(parsed.words_before(first, self.context_words), self.words("email"))
        spelled = any(w in (".", "dot", "underscore", "_") for w in local) or any(t.digits for t in tokens[first:at])
        if not (provider or told) or not spelled and not (provider and told):
            return []
        return [RecognizerResult("EMAIL", tokens[first].start, tokens[end].end, 0.8)]

    def _spoken(self, parsed: Parsed, end: int, domains: set[str]) -> list[RecognizerResult]:
        tokens, line = parsed.tokens, parsed.line_of[end]
        stop = self.terms("email_stop")
        while end + 2 < len(tokens) and tokens[end + 1].lower in (".", "dot") and tokens[end + 2].lower in domains:
            end += 2
        first = end - 1
        while first - 1 >= 0 and parsed.line_of[first - 1] == line and end - first < 14:
            if tokens[first - 1].lower in stop or tokens[first - 1].text == ",":
                break
            first -= 1
        while first < end and tokens[first].lower in ("at", ".", "dot", "-"):
            first += 1
        body = {t.lower for t in tokens[first:end]}
        has_at = bool(body & {"at", "@"}) or any("at" in t.lower for t in tokens[first:end] if len(t.text) > 5)
        dotted = sum(t.lower in (".", "dot") for t in tokens[first:end]) >= 2 and "www" not in body
        if not (has_at or dotted or phrase_in(parsed.words_before(first, self.context_words), self.words("email"))) \
                or first >= end - 1:
            return []
        return [RecognizerResult("EMAIL", tokens[first].start, tokens[end].end, 0.85)]


class DateOfBirthRecognizer(_StreamRecognizer):
    """A date said after birth words ("date of birth", "born", "DOB"): day, month and year.

    Dates without birth words ("the 14th", "tomorrow at ten") are left alone.
    """

    ENTITIES = ("DATE_OF_BIRTH",)
    _GLUE = frozenset({"of", "the", "-", "/", ".", ",", "nineteen", "twenty", "\n"})

    def analyze(self, text, entities, nlp_artifacts=None):
        if "DATE_OF_BIRTH" not in entities:
            return []
        parsed = parse(text)
        found = []
        i = 0
        while i < len(parsed.tokens):
            last = self._date_end(parsed, i, self.terms("months"), self._GLUE | self.terms("date_glue"))
            if last is not None and phrase_in(parsed.words_before(i, self.context_words), self.words("birth")):
                speaker = parsed.speaker_of(i)
                found += self.results(parsed, "DATE_OF_BIRTH", i, last, speaker, 0.85, entities)
                i = last + 1
            else:
                i += 1
        return found

    def _date_end(self, parsed: Parsed, first: int, months: frozenset[str], glue: frozenset[str]) -> int | None:
        """The last token of a date starting at `first` (2+ date parts), or None."""
        tokens = parsed.tokens
        if not _date_part(tokens[first], months) or parsed.line_of[first] < 0:
            return None
        parts, last, j, garbled = 0, first, first, False
        while j < len(tokens) and parsed.line_of[j] == parsed.line_of[first]:
            if _date_part(tokens[j], months):
                parts, last = parts + 1, j
            elif tokens[j].lower not in glue:
                # One word ASR made of a month ("the fourth of Marsh eighty two") between date parts.
                following = j + 1 < len(tokens) and parsed.line_of[j + 1] == parsed.line_of[first] \
                    and _date_part(tokens[j + 1], months)
                if garbled or not parts or not tokens[j].text.isalpha() or not following:
                    break
                garbled = True
            j += 1
        return last if parts >= 2 else None


def _date_part(token, months: frozenset[str]) -> bool:
    """A day, month or year: digits or number words, an ordinal ("fifth", "пятого"), a month name."""
    return token.numeric or token.is_ordinal or token.lower in MONTHS or token.lower in months \
        or is_russian_ordinal(token.text)


class AddressRecognizer(_StreamRecognizer):
    """Postal addresses: a house number then up to four words and a street word
    ("42 Larkspur Lane"), and postcodes ("SW1A 2AA", or what follows "postcode").

    A weak street word ("drive", "close", "way") is an everyday word too, so it ends an
    address only after capitalised name words ("9 Orchard Close"), or after address or
    location words ("verify location 1132 ashberry drive") when the words before it can
    name a street: letters, none of them a function word (spaCy's English stop words) or
    one of the lexicon's `street_name_stop` ("a 4 wheel drive", "2 of them close by").
    """

    ENTITIES = ("ADDRESS",)

    def analyze(self, text, entities, nlp_artifacts=None):
        if "ADDRESS" not in entities:
            return []
        parsed = parse(text)
        found = [RecognizerResult("ADDRESS", m.start(), m.end(), 0.7) for m in _UK_POSTCODE.finditer(text)]
        strong = self.terms("street_suffixes")
        weak = self.terms("street_suffixes_weak")
        units = self.terms("units_after")
        for i, token in enumerate(parsed.tokens):
            if token.digits and parsed.line_of[i] >= 0 and not _followed_by(parsed, i, units):
                found += self._street(parsed, i, strong, weak)
            elif phrase_in([token.lower], self.words("postcode")) and parsed.line_of[i] >= 0:
                found += self._after_postcode_word(parsed, i)
        return found

    def _street(self, parsed: Parsed, number: int, strong: set[str], weak: set[str]) -> list[RecognizerResult]:
        tokens, line = parsed.tokens, parsed.line_of[number]
        context = phrase_in(parsed.words_before(number, self.context_words), self.words("address"))
        j, last = number + 1, None
        while j < len(tokens) and parsed.line_of[j] == line and j - number <= 6:
            word = tokens[j]
            if word.lower in strong | weak and j > number + 1:
                between = [t for t in tokens[number + 1:j] if t.text[0].isalpha()]
                named = between and all(t.text[0].isupper() for t in between)
                if word.lower in strong or named or (context and self._street_name(tokens[number + 1:j])):
                    last = j  # keep going: "King's Way Crescent" ends at the last street word
            if word.text in (",", ".") and (last is not None or not context):
                break
            j += 1
        return [] if last is None else [RecognizerResult("ADDRESS", tokens[number].start, tokens[last].end, 0.75)]

    def _street_name(self, words) -> bool:
        """Whether the tokens between a house number and a weak street word can name a street:
        after the rest of the number ("one hundred and twelve"), one to four words of letters,
        none a function word or a `street_name_stop` word."""
        names = list(words)
        while names and (names[0].numeric or names[0].lower in ("and", "-")):
            names.pop(0)
        stop = _stop_words() | self.terms("street_name_stop")
        return 0 < len(names) <= 4 and all(t.text.replace("'", "").isalpha() and t.lower not in stop for t in names)

    def _after_postcode_word(self, parsed: Parsed, at: int) -> list[RecognizerResult]:
        tokens, line = parsed.tokens, parsed.line_of[at]
        j, last = at + 1, None
        while j < len(tokens) and parsed.line_of[j] == line and j - at <= 8:
            t = tokens[j]
            if t.digits or (t.text.isalpha() and (t.text.isupper() or len(t.text) == 1)):
                last = j
            elif t.text not in ("-", " ", "is", ".", ",") and t.lower not in ("is", "it's", "its"):
                break
            j += 1
        if last is None:
            return []
        first = next(k for k in range(at + 1, last + 1) if tokens[k].digits or tokens[k].text.isalpha()
                     and tokens[k].lower not in ("is",))
        return [RecognizerResult("ADDRESS", tokens[first].start, tokens[last].end, 0.7)]


@functools.cache
def _stop_words() -> frozenset[str]:
    """spaCy's English stop words (function words: "to", "the", "of", "them")."""
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


class CustomerNameRecognizer(_StreamRecognizer):
    """People's names (spaCy PERSON) in the customer's own words; off unless asked for."""

    ENTITIES = ("CUSTOMER_NAME",)

    def analyze(self, text, entities, nlp_artifacts=None):
        if "CUSTOMER_NAME" not in entities or nlp_artifacts is None:
            return []
        parsed = parse(text)
        found = []
        for ent in nlp_artifacts.entities:
            if ent.label_ != "PERSON":
                continue
            line = next((k for k, span in enumerate(parsed.lines) if span.start <= ent.start_char < span.end), None)
            if line is not None and parsed.lines[line].speaker == "customer":
                found.append(RecognizerResult("CUSTOMER_NAME", ent.start_char, min(ent.end_char, parsed.lines[line].end), 0.7))
        return found


class PlaceholderRecognizer(_StreamRecognizer):
    """Placeholders already in the text ("[CARD_NUMBER]"): redacting twice finds the same
    spans, so the audio of a call re-scored from a redacted transcript is still silenced."""

    ENTITIES = ("CARD_NUMBER", "PHONE_NUMBER", "EMAIL", "ACCOUNT_NUMBER", "DATE_OF_BIRTH", "ADDRESS", "CUSTOMER_NAME")
    _PLACEHOLDER = re.compile(r"\[(" + "|".join(ENTITIES) + r")\]")

    def analyze(self, text, entities, nlp_artifacts=None):
        return [RecognizerResult(m.group(1), m.start(), m.end(), 1.0)
                for m in self._PLACEHOLDER.finditer(text) if m.group(1) in entities]


def recognizers(lexicon: Mapping[str, Any], context_words: int) -> list[EntityRecognizer]:
    """All of this module's recognizers, built over one lexicon."""
    return [cls(lexicon, context_words) for cls in
            (SpokenNumberRecognizer, SpokenEmailRecognizer, DateOfBirthRecognizer, AddressRecognizer,
             CustomerNameRecognizer, PlaceholderRecognizer)]
