"""Small, pure display helpers the templates use as Jinja filters."""

from __future__ import annotations

from datetime import datetime

from jinja2 import pass_context

from qa_pipeline.report import clock as clock  # the templates' clock filter is the one of every output


def pct(value: float | None, digits: int = 0) -> str:
    """A 0..1 ratio as a percentage; an em dash when there is nothing to divide."""
    return "—" if value is None else f"{100 * value:.{digits}f}%"


def when(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M")


_WORDS = {"im": "I'm", "wpm": "WPM"}


@pass_context
def criterion_title(context, criterion_id: str | None) -> str:
    """The criterion's title as its rubric words it (`titles` in the page context), else `label`."""
    return context.get("titles", {}).get(criterion_id) or label(criterion_id)


def label(identifier: str | None) -> str:
    """`no_price_before_need` -> `No price before need`; `no_im_listening` -> `No I'm listening`."""
    words = [_WORDS.get(w, w) for w in (identifier or "").split("_")]
    return " ".join(words)[:1].upper() + " ".join(words)[1:]
