"""The card fields the KPI page, the callbacks list and the review queue read, taken at save time.

Input is the scorecard as JSON (`qa_pipeline.contract.scorecard_to_dict`, or the file an
import reads), whose additive blocks (`language`, `needs_review`, `sales`: see
docs/scorecard.md and docs/sales.md) the store keeps as columns. The text kept (the
words of the next contact and its evidence line) is taken from the redacted card where the
line is in its transcript, and redacted here otherwise, so the store holds no more than the
card's own redacted text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from qa_pipeline.records import CUSTOMER, Scorecard


def card_fields(card: Scorecard, data: Mapping[str, Any], redact: Callable[[str], str]) -> dict[str, Any]:
    """Column name -> value for `ScorecardRow` (migration 0008). `card` is the redacted card,
    `data` its JSON (sales block included), `redact` the site's text redaction."""
    sales = _mapping(data.get("sales"))
    contact = _mapping(sales.get("next_contact"))
    return {
        "language": _str(data.get("language"), 10),
        "needs_review": needs_review(data),
        "sales_status": _str(sales.get("status"), 40),
        "sales_group": _str(sales.get("status_group"), 20),
        "next_contact_date": iso_date(contact.get("date")),
        "next_contact_words": redact(str(contact.get("words") or "")) if contact.get("words") else "",
        "next_contact_quote": _quote(card, contact.get("evidence"), redact),
        "customer_ref": _str(data.get("customer_pseudonym"), 200) or "",
        "customer_turns": sum(1 for u in card.transcript.utterances if u.speaker == CUSTOMER and u.text.strip()),
    }


def needs_review(data: Mapping[str, Any]) -> list[str]:
    """The card's `needs_review` ids, then any other criterion that carries `"needs_review": true`
    (a card edited by hand, or written before the card-level list), in order, once each."""
    listed = data.get("needs_review")
    ids = [str(x) for x in listed] if isinstance(listed, list) else []
    flagged = [str(c.get("id")) for c in data.get("criteria") or () if isinstance(c, Mapping) and c.get("needs_review")]
    return list(dict.fromkeys([*ids, *flagged]))


def iso_date(value: Any) -> date | None:
    """A `YYYY-MM-DD` string as a date; None when absent or unreadable."""
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str(value: Any, limit: int) -> str | None:
    return str(value)[:limit] if value not in (None, "") else None


def _quote(card: Scorecard, evidence: Any, redact: Callable[[str], str]) -> str:
    """The first evidence line's text: the redacted transcript's line at the same place, else redacted here."""
    if not isinstance(evidence, list) or not evidence or not isinstance(evidence[0], Mapping):
        return ""
    line = evidence[0]
    start = line.get("start")
    for u in card.transcript.utterances:
        if u.speaker == line.get("speaker") and isinstance(start, int | float) and abs(u.start - start) < 0.01:
            return u.text
    return redact(str(line.get("text") or ""))
