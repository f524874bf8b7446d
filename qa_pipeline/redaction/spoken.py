"""Spoken numbers as ASR writes them: tokens, digit values and runs of digits.

Whisper writes a read-out number in many shapes: "4539-148-0343-6467", "0 .0946",
"four five three nine", "double seven", "oh seven", "$42 .00". This module reads a line
of text into `Token`s, gives each number-bearing token its digits, and groups tokens into
`DigitRun`s: the digits a speaker read out in one go, across hyphens, dots, commas and
(in a joined speaker stream) utterance breaks. Pure functions; no Presidio here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from qa_pipeline.redaction import number_words

UNITS = {"zero": "0", "oh": "0", "o": "0", "nil": "0", "nought": "0", "one": "1", "two": "2", "three": "3",
         "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9"}
TEENS = {"ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14", "fifteen": "15",
         "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19"}
TENS = {"twenty": "2", "thirty": "3", "forty": "4", "fourty": "4", "fifty": "5", "sixty": "6", "seventy": "7",
        "eighty": "8", "ninety": "9"}
MULTIPLIERS = {"hundred": "00", "thousand": "000"}
REPEATS = {"double": 2, "triple": 3}
# Homophones Whisper writes for a digit; read as digits only between two single digits.
HOMOPHONES = {"for": "4", "won": "1", "ate": "8"}
# "o" alone is a letter unless it sits inside a run of digits.
WEAK_DIGITS = {"o", "oh"}
# "에" and "の" join the groups of a number read out in Korean and Japanese ("공일공에 일이삼사");
# Japanese text writes the dash full-width or as the long-vowel mark ("090ー1234ー5678").
CONNECTORS = {"-", ".", ",", "/", "(", ")", "dash", "hyphen", "point", "에", "の", "、", "，", "・", "－", "ー", "‐", "–",
              "—"}
ORDINAL_WORDS = {
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh",
    "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth",
    "twentieth", "thirtieth",
}
MONTHS = {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"}
BREAK = "\n"
# How "@" and "." are read out in an email address in Russian and Greek ("иван точка петров
# собака мейл точка ру"): the email recognizer reads them as "at" and "dot".
SPOKEN_SYMBOLS = {"собака": "at", "собачка": "at", "точка": "dot", "παπάκι": "at", "τελεία": "dot"}

# Kana, CJK ideographs and Hangul syllables are one token each (no spaces to split on, and
# a Korean or Japanese number is read digit by digit: "공일공", "九〇"); other scripts' words
# (Cyrillic, Greek) are whole tokens.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_TOKEN = re.compile(r"\d+(?:st|nd|rd|th)\b|[A-Za-z]*\d[A-Za-z\d]*|[A-Za-z]+(?:['’][A-Za-z]+)?|@|\n"
                    rf"|[{_CJK}]|[^\W\d_{_CJK}]+(?:['’][^\W\d_{_CJK}]+)?|[^\sA-Za-z\d]")
_ORDINAL_DIGITS = re.compile(r"^\d+(?:st|nd|rd|th)$", re.IGNORECASE)


@dataclass(frozen=True)
class Token:
    """One token of a text: its characters [start, end) and its digits ('' if none).

    `in_number`: a word of a number whose digits an earlier word carries ("шестнадцать"
    after "девятьсот", "백" in "구백", "ゅ" of "きゅう").
    """

    text: str
    start: int
    end: int
    digits: str = ""
    in_number: bool = False

    @property
    def numeric(self) -> bool:
        return bool(self.digits) or self.in_number

    @property
    def lower(self) -> str:
        """Lower case; a spoken "@" or "." of another language as the English word ("собака" -> "at")."""
        lower = self.text.lower()
        return SPOKEN_SYMBOLS.get(lower, lower)

    @property
    def is_break(self) -> bool:
        return self.text == BREAK

    @property
    def is_ordinal(self) -> bool:
        return bool(_ORDINAL_DIGITS.match(self.text)) or self.lower in ORDINAL_WORDS


@dataclass(frozen=True)
class DigitRun:
    """Consecutive number-bearing tokens read as one number: token indices [first, last]."""

    first: int
    last: int
    digits: str
    start: int  # character span in the text
    end: int

    @property
    def length(self) -> int:
        return len(self.digits)


def tokenize(text: str) -> list[Token]:
    """Tokens with digit values; number words keep their value in `digits`."""
    raw = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    tokens = [Token(t, s, e, _own_digits(t)) for t, s, e in raw]
    return _compose(tokens)


def _own_digits(text: str) -> str:
    lower = text.lower()
    if _ORDINAL_DIGITS.match(text):
        return ""  # "14th" is a date or a rank, never part of an identifier
    if any(c.isdigit() for c in text):  # full-width "０９０" too
        return "".join(str(unicodedata.digit(c)) for c in text if c.isdigit())
    if lower in UNITS and lower not in WEAK_DIGITS:
        return UNITS[lower]
    if lower in TEENS:
        return TEENS[lower]
    if lower in TENS:
        return TENS[lower] + "0"
    return ""


def _compose(tokens: list[Token]) -> list[Token]:
    """Give digits to words that are digits only in company: "oh", "double seven", "forty two", "four hundred"."""
    out = list(tokens)
    for i, token in enumerate(out):
        lower = token.lower
        prev_digits = _neighbour_digits(out, i, -1)
        next_digits = _neighbour_digits(out, i, +1)
        if lower in WEAK_DIGITS and (prev_digits or next_digits):
            out[i] = _with(token, "0")
        elif lower in HOMOPHONES and len(prev_digits) == 1 and len(next_digits) == 1:
            out[i] = _with(token, HOMOPHONES[lower])
        elif lower in REPEATS and (j := _repeated(out, i)) is not None:
            nxt = out[j].digits or UNITS[out[j].lower]
            out[i] = _with(token, nxt * (REPEATS[lower] - 1))
            if not out[j].digits:
                out[j] = _with(out[j], nxt)
        elif lower in MULTIPLIERS and prev_digits:
            out[i] = _with(token, MULTIPLIERS[lower])
    return _other_languages(_merge_tens(out))


def _repeated(tokens: list[Token], i: int) -> int | None:
    """The index of the one digit "double"/"triple" at `i` repeats: the next token, or the one
    after a dash (Whisper writes "7-7-double-7"); None when no single digit follows."""
    for j in (i + 1, i + 2):
        if j >= len(tokens):
            return None
        if len(tokens[j].digits or UNITS.get(tokens[j].lower, "")) == 1:
            return j
        if j > i + 1 or tokens[j].text not in ("-", "‐", "–"):
            return None
    return None


def _other_languages(tokens: list[Token]) -> list[Token]:
    """Digits for the number words of other languages (`number_words`): each run of
    adjacent number words read as the numbers said in it, the digits on the first word of
    each; kana readings ("ぜろきゅうぜろ"). A lone one-character word (이, 一) is no number."""
    out = list(tokens)
    group: list[int] = []
    for i in range(len(out) + 1):
        value = number_words.value_of(out[i].text) if i < len(out) and not out[i].digits else None
        if value is not None and (not group or _adjacent(out, group[-1], i)):
            group.append(i)
            continue
        _fill(out, group)
        group = [i] if value is not None else []
    kana = [i for i, t in enumerate(out) if len(t.text) == 1 and number_words.is_cjk(t.text) or t.text == "ー"]
    for run in _adjacent_runs(out, kana):
        for piece in number_words.kana_pieces([out[i].text for i in run]):
            out[run[piece.first]] = _with(out[run[piece.first]], piece.digits)
            for k in range(piece.first + 1, piece.last + 1):
                out[run[k]] = replace(out[run[k]], in_number=True)
    return out


def _fill(tokens: list[Token], group: list[int]) -> None:
    if not group or (len(group) == 1 and number_words.is_cjk(tokens[group[0]].text[0])):
        return
    values = [number_words.value_of(tokens[i].text) or 0 for i in group]
    for numbers in number_words.split_numbers(values):
        members = [group[k] for k in numbers]
        tokens[members[0]] = _with(tokens[members[0]], number_words.group_digits(values, numbers))
        for k in members[1:]:
            tokens[k] = replace(tokens[k], in_number=True)


def _adjacent(tokens: list[Token], i: int, j: int) -> bool:
    """Next to each other: nothing but spaces or a hyphen between."""
    between = [t.text for t in tokens[i + 1:j]]
    return all(t == "-" for t in between)


def _adjacent_runs(tokens: list[Token], indices: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for i in indices:
        if runs and runs[-1][-1] == i - 1 and tokens[i - 1].end == tokens[i].start:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _merge_tens(tokens: list[Token]) -> list[Token]:
    """"forty two" is 42, not 402: a tens word followed by a unit digit loses its zero."""
    out = list(tokens)
    for i in range(len(out) - 1):
        word, nxt = out[i], _skip_hyphen(out, i)
        if word.lower in TENS and nxt is not None and out[nxt].lower in UNITS and out[nxt].digits:
            out[i] = _with(word, TENS[word.lower])
    return out


def _skip_hyphen(tokens: list[Token], i: int) -> int | None:
    j = i + 1
    if j < len(tokens) and tokens[j].text == "-":
        j += 1
    return j if j < len(tokens) else None


def _neighbour_digits(tokens: list[Token], i: int, step: int) -> str:
    j = i + step
    while 0 <= j < len(tokens) and tokens[j].lower in CONNECTORS:
        j += step
    if not 0 <= j < len(tokens):
        return ""
    t = tokens[j]
    return t.digits or (UNITS.get(t.lower, "") if t.lower not in WEAK_DIGITS else "")


def _with(token: Token, digits: str) -> Token:
    return Token(token.text, token.start, token.end, digits, token.in_number)


def digit_runs(tokens: list[Token], skip: frozenset[int] = frozenset()) -> list[DigitRun]:
    """Maximal runs of number-bearing tokens joined by connectors or line breaks.

    Indices in `skip` (the other speaker's words in a joined stream) are stepped over
    like a line break, so a number interrupted by the other speaker stays one number.
    """
    runs: list[DigitRun] = []
    i = 0
    while i < len(tokens):
        if not tokens[i].digits or i in skip:
            i += 1
            continue
        last, j = i, i + 1
        while j < len(tokens):
            t = tokens[j]
            if t.numeric and j not in skip:
                last, j = j, j + 1
            elif t.lower in CONNECTORS or t.is_break or j in skip:
                j += 1
            else:
                break
        members = [k for k in range(i, last + 1) if tokens[k].numeric and k not in skip]
        digits = "".join(tokens[k].digits for k in members)
        runs.append(DigitRun(i, last, digits, tokens[i].start, tokens[last].end))
        i = last + 1
    return runs


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum of a payment card number (ISO/IEC 7812-1)."""
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def phrase_in(words: list[str], phrases) -> bool:
    """Whether any phrase (one or more words, lower case) occurs in the word list. A phrase
    in kana, kanji or Hangul is looked for in the words run together ("電話番号" in
    "お電話番号を", "카드 번호" in "카드번호는"): those tokens are single characters."""
    joined = " " + " ".join(words) + " "
    solid = "".join(words)
    return any(f" {p} " in joined or (number_words.is_cjk(p[0]) and p.replace(" ", "") in solid)
               for p in phrases if p)
