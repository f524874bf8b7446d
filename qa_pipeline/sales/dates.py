"""Dates said in a call ("next Tuesday", "after the 20th", "in two weeks") as calendar dates.

The words are found by spaCy (DATE entities, widened by the preposition before them,
"in" two weeks, "after" the 20th) and resolved by `dateparser` against the call's date
(`RELATIVE_BASE`), preferring the future. dateparser rather than hand-made rules: it
knows weekdays, ordinals, relative spans and month names in the languages the pipeline
speaks, and its relative arithmetic crosses month and year ends correctly; what it
leaves, the project adds here in two rules:

- "after X" is the first day after X (a callback "after the 20th" is due on the 21st);
- a day of the month alone ("the 20th") that has already passed this month is next
  month's (dateparser gives this month's even with ``PREFER_DATES_FROM: future``);
- "next Tuesday" is the Tuesday of next week (weeks from Monday), as English speakers
  mostly mean it: said on a Monday it is eight days on, not tomorrow (dateparser gives
  the next Tuesday to come).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

# A day of the month said as an ordinal ("the 20th", "the fifth of January"), which the small
# English spaCy model does not tag as a DATE and dateparser does not read.
_ORDINAL_WORDS = (*("first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
                    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth").split(),
                  *[""] * 9, "thirtieth")  # index + 1 is the day; "twenty first" adds 20
_ORDINAL = re.compile(
    r"\b(?:the\s+)?(\d{1,2}(?:st|nd|rd|th)|(?:twenty[- ])?(?:" + "|".join(w for w in _ORDINAL_WORDS if w) + r"))"
    r"(?:\s+of\s+([a-z]+))?\b", re.IGNORECASE)
_DAY_NEXT_WEEK = re.compile(r"^((?:mon|tues|wednes|thurs|fri|satur|sun)day)\s+next\s+week$")
_NEXT_WEEKDAY = re.compile(r"^next\s+(?:mon|tues|wednes|thurs|fri|satur|sun)day\b")
# Words before a date that dateparser does not need ("on Monday", "by the 5th").
_LEADING = re.compile(r"^(?:on|by|from|until|before|around|at|early|late|mid)\s+")


@dataclass(frozen=True)
class SaidDate:
    """A date said in one utterance: the words as said, and the resolved day."""

    words: str
    date: dt.date
    start_char: int


def call_date(call_time: str | None) -> dt.datetime | None:
    """The call's date and time from metadata (ISO 8601), or None when absent or unreadable."""
    if not call_time:
        return None
    try:
        return dt.datetime.fromisoformat(call_time.replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return None


def resolve(words: str, base: dt.datetime, after_prefixes: tuple[str, ...] = ("after",),
            anchor: dt.date | None = None) -> dt.date | None:
    """The day `words` name, said on `base`; None when they name none. A bare day of the
    month ("the 15th") said after talk of a later date (`anchor`, "the 14th of April") is
    read in that date's month."""
    import dateparser

    text = words.strip().lower()
    after = next((p for p in after_prefixes if text.startswith(p + " ")), None)
    text = _LEADING.sub("", text[len(after):].strip() if after else text)
    text = _DAY_NEXT_WEEK.sub(r"next \1", text)  # "Wednesday next week", which dateparser does not read
    ordinal = _ORDINAL.fullmatch(text)
    if ordinal:  # dateparser reads "3rd" as March and knows no "fifth": the day is given to it as a number
        month = anchor if anchor is not None and anchor > base.date() and not ordinal.group(2) else base.date()
        text = f"{_ordinal_day(ordinal.group(1))} {ordinal.group(2) or month.strftime('%B')} {month.year}"
    parsed = dateparser.parse(text, languages=["en"],
                              settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "future",
                                        "RETURN_AS_TIMEZONE_AWARE": False})
    if parsed is None:
        return None
    day = parsed.date()
    if _NEXT_WEEKDAY.match(text) and day.isocalendar()[:2] == base.date().isocalendar()[:2]:
        day += dt.timedelta(days=7)
    if day < base.date() and ordinal:
        day = _next_month(day) if not ordinal.group(2) else day.replace(year=day.year + 1)
    return day + dt.timedelta(days=1) if after else day


def _ordinal_day(said: str) -> int:
    said = said.lower().replace("-", " ")
    if said[0].isdigit():
        return int(re.sub(r"\D", "", said))
    tens = 20 if said.startswith("twenty ") else 0
    return tens + _ORDINAL_WORDS.index(said.removeprefix("twenty ")) + 1


def _next_month(day: dt.date) -> dt.date:
    from dateutil.relativedelta import relativedelta

    return day + relativedelta(months=1)


def dates_in(doc: Any, base: dt.datetime, prefixes: tuple[str, ...], after_prefixes: tuple[str, ...],
             duration_units: tuple[str, ...], anchor: dt.date | None = None) -> list[SaidDate]:
    """The dates said in `doc` (a spaCy Doc or Span) on or after the call's day, in order.

    A date is a DATE entity or an ordinal day ("the 20th"), widened by one word of
    `prefixes` before it ("in two weeks", "after the 20th"); a bare span of time with no
    such word ("for two weeks", "two years") is a duration, not a date. `anchor`: see `resolve`.
    """
    text, offset = doc.text, doc[0].idx if len(doc) else 0
    spans = [(m.start() + offset, m.end() + offset) for m in _ORDINAL.finditer(text) if _said_as_day(m)]
    for ent in doc.ents:
        overlaps = any(a < ent.end_char and ent.start_char < b for a, b in spans)
        if ent.label_ == "DATE" and not overlaps and not _duration(ent, prefixes, duration_units):
            spans.append((ent.start_char, ent.end_char))
    found = []
    for start, end in sorted(spans):
        start, words = _widened(doc.doc.text, start, end, prefixes)
        day = resolve(words, base, after_prefixes, anchor)
        if day is not None and day >= base.date():
            found.append(SaidDate(words, day, start))
    return found


def _widened(text: str, start: int, end: int, prefixes: tuple[str, ...]) -> tuple[int, str]:
    """(start, words) of the date at text[start:end] with the preposition before it, if one of `prefixes`."""
    before = text[:start].rstrip().rsplit(" ", 1)[-1]
    if before.lower() in prefixes:
        start = text.rindex(before, 0, start)
    return start, text[start:end]


def _duration(ent: Any, prefixes: tuple[str, ...], units: tuple[str, ...]) -> bool:
    """A span of time, not a day: "two years", "for two weeks"; "in two weeks" and "next week" name a day."""
    before = ent.doc[ent.start - 1].lower_ if ent.start > 0 else ""
    names_a_day = any(t.lower_ in ("next", "this", "coming") for t in ent) or before in prefixes
    return ent[-1].lemma_.lower() in units and not names_a_day


def _said_as_day(match: re.Match) -> bool:
    """An ordinal names a day when a month follows it ("the fifth of May"), or it is "the" and
    digits ("the 20th"), or a preposition comes before it ("on the fifth"); not in "the first
    time", "my second question"."""
    if match.group(2):
        return True
    if match.group(1)[0].isdigit():
        return match.group(0).lower().startswith("the ")
    return match.string[:match.start()].rstrip().lower().endswith((" on", " after", " by", " until", " from"))
