"""Number words of the languages other than English, as digits for the redaction tokens.

Whisper writes a number read out in Russian, Greek, Korean or Japanese as digits most of
the time, but also as words: "восемь девятьсот шестнадцать", "οκτώ εννέα", "공일공",
"九〇", "ぜろきゅうぜろ". The word tables are the CLDR spell-out data that `number-parser`
ships (its `number_parser.data.<lang>` modules, Russian case forms included), read as
tables because its parser covers only en, es, hi, ru and uk. The Sino-Korean digits, the
Korean and Japanese multipliers (십 百 ...) and the Japanese kana readings, which that data
leaves out or mixes with everyday words, are here.

`split_numbers` reads consecutive number words as the numbers a speaker said
("восемь девятьсот шестнадцать" is 8 then 916; "구백" is 900). Pure functions.
"""

from __future__ import annotations

import functools
import importlib
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

# number-parser's table modules; the keys of each table are the words of one language.
LANGUAGES = ("ru", "el", "ja")
# Korean: the Sino-Korean digits only. number-parser's Korean table mixes in the native
# counting words, and some of those are everyday words (네 "yes", 세 "three"/"rent", 한 "one"/"a").
SINO_KOREAN = {"공": 0, "영": 0, "일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "칠": 7, "팔": 8, "구": 9}
_TABLES = ("UNIT_NUMBERS", "DIRECT_NUMBERS", "TENS", "HUNDREDS", "BIG_POWERS_OF_TEN")
# Multipliers written inside a word or as their own character: 구백 (9 x 100), 九百, 三千.
CJK_MULTIPLIERS = {"십": 10, "백": 100, "천": 1000, "十": 10, "百": 100, "千": 1000}
# Japanese digit readings in kana, as a telephone number is read out ("ぜろきゅうぜろ");
# a long-vowel mark may follow ("にー", "ごー"). Katakana forms are derived.
KANA_DIGITS = {"ぜろ": 0, "れい": 0, "まる": 0, "いち": 1, "に": 2, "さん": 3, "よん": 4, "し": 4, "ご": 5,
               "ろく": 6, "なな": 7, "しち": 7, "はち": 8, "きゅう": 9, "く": 9}
KANA_MIN_DIGITS = 3  # fewer kana readings in a row are ordinary words ("に", "ご", "しち")
LONG_VOWEL = "ー"
_CJK_RANGES = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF))


def is_cjk(char: str) -> bool:
    """Whether `char` is kana, a CJK ideograph or a Hangul syllable: a token of its own."""
    code = ord(char)
    return any(low <= code <= high for low, high in _CJK_RANGES)


def normalize(word: str) -> str:
    """Lower case, "ё" as "е", Greek accents dropped (number-parser's keys are written so)."""
    word = word.lower().replace("ё", "е")
    if any("\u0370" <= c <= "\u03ff" or "\u1f00" <= c <= "\u1fff" for c in word):
        word = "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))
    return word


@functools.lru_cache(maxsize=1)
def values() -> dict[str, int]:
    """Every number word of `LANGUAGES` (normalized) -> its value, with the CJK multipliers."""
    table: dict[str, int] = {}
    for language in LANGUAGES:
        try:
            info = importlib.import_module(f"number_parser.data.{language}").info
        except ImportError:  # the redact extra brings number-parser; without it, digits only
            break
        for name in _TABLES:
            table.update({normalize(word): int(value) for word, value in info.get(name, {}).items()})
    table.update(SINO_KOREAN)
    table.update(CJK_MULTIPLIERS)
    return table


def value_of(word: str) -> int | None:
    """The value of one number word, or None."""
    return values().get(normalize(word))


@dataclass(frozen=True)
class Piece:
    """Digits for tokens [first, last]: `digits` on `first`, the others part of the same number."""

    first: int
    last: int
    digits: str


def kana_pieces(chars: Sequence[str]) -> Iterator[Piece]:
    """Runs of at least `KANA_MIN_DIGITS` kana digit readings in a row of one-character tokens."""
    i = 0
    while i < len(chars):
        run, j = [], i
        while (step := _reading_at(chars, j)) is not None:
            run.append((j, j + step[0] - 1, str(step[1])))
            j += step[0]
        if len(run) >= KANA_MIN_DIGITS:
            yield from (Piece(first, last, digits) for first, last, digits in run)
            i = j
        else:
            i += 1


def _reading_at(chars: Sequence[str], i: int) -> tuple[int, int] | None:
    """(characters taken, digit) of the longest kana reading starting at `i`."""
    for length in (3, 2, 1):
        word = _hiragana("".join(chars[i:i + length]))
        if len(word) == length and word in KANA_DIGITS:
            taken = length + (1 if i + length < len(chars) and chars[i + length] == LONG_VOWEL else 0)
            return taken, KANA_DIGITS[word]
    return None


def _hiragana(text: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in text)


def split_numbers(numbers: Sequence[int]) -> list[list[int]]:
    """Consecutive number-word values as the numbers a speaker said, by the place each fills.

    A value joins the number before it when it fits in that number's trailing zeros
    ([900, 16] is 916, [40, 5] is 45) or multiplies it ([9, 100] is 900); otherwise it
    starts a new number ([8, 900] is 8 then 900: a phone number read in groups). A zero is
    always a digit of its own ([0, 1, 0] is 0, 1, 0).
    Returns index groups into `numbers`.
    """
    groups: list[list[int]] = []
    total = 0
    for k, value in enumerate(numbers):
        if groups and _multiplies(numbers, groups[-1], value):
            total = _total(numbers, groups[-1] + [k])
            groups[-1].append(k)
        elif groups and 0 < value < _free_place(total):
            total += value
            groups[-1].append(k)
        else:
            groups.append([k])
            total = value
    return groups


def _multiplies(numbers: Sequence[int], group: list[int], value: int) -> bool:
    last = numbers[group[-1]]
    return value in (10, 100, 1000) and value in CJK_MULTIPLIERS.values() and 0 < last < 10 and \
        (len(group) == 1 or _free_place(_total(numbers, group[:-1])) > value)


def _total(numbers: Sequence[int], group: list[int]) -> int:
    """The value of a group: products of a digit and a following multiplier, then the sum."""
    total, k = 0, 0
    while k < len(group):
        value = numbers[group[k]]
        if k + 1 < len(group) and numbers[group[k + 1]] in (10, 100, 1000) and 0 < value < 10:
            total += value * numbers[group[k + 1]]
            k += 2
        else:
            total += value
            k += 1
    return total


def _free_place(total: int) -> int:
    """The largest power of ten the trailing zeros of `total` leave free (900 -> 100, 45 -> 1)."""
    if total == 0:
        return 1
    place = 1
    while total % (place * 10) == 0:
        place *= 10
    return place


def group_digits(numbers: Sequence[int], group: list[int]) -> str:
    """The digits of the number a group of words makes: [900, 16] -> "916", [9, 100] (구백) -> "900"."""
    return str(_total(numbers, group))


_CYRILLIC_WORD = re.compile(r"^[а-яё]+$", re.IGNORECASE)


def is_russian_ordinal(word: str) -> bool:
    """Whether `word` is a Russian ordinal numeral in any form ("пятого", "второго"), by
    pymorphy3's analysis (its `Anum` grammeme); False where pymorphy3 is not installed."""
    if not _CYRILLIC_WORD.match(word):
        return False
    analyzer = _morph()
    return analyzer is not None and any("Anum" in p.tag for p in analyzer.parse(word.lower())[:1])


@functools.lru_cache(maxsize=1)
def _morph():
    try:
        import pymorphy3
    except ImportError:  # the Russian language support brings it
        return None
    return pymorphy3.MorphAnalyzer(lang="ru")
