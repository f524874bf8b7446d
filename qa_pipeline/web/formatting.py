"""Small, pure display helpers the templates use as Jinja filters."""

from __future__ import annotations

from datetime import datetime

from jinja2 import pass_context


def clock(seconds: float | None) -> str:
    """Seconds as m:ss.s (h:mm:ss past an hour)."""
    if seconds is None:
        return ""
    minutes, secs = divmod(max(0.0, float(seconds)), 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{secs:04.1f}" if hours else f"{minutes}:{secs:04.1f}"


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
