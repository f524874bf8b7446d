"""Small, pure display helpers the templates use as Jinja filters."""

from __future__ import annotations

import re
from datetime import datetime

from jinja2 import pass_context
from markupsafe import Markup, escape

from qa_pipeline.report import clock as clock  # the templates' clock filter is the one of every output


def pct(value: float | None, digits: int = 0) -> str:
    """A 0..1 ratio as a percentage; an em dash when there is nothing to divide."""
    return "—" if value is None else f"{100 * value:.{digits}f}%"


def span(seconds: float | None) -> str:
    """A length of time as m:ss (h:mm:ss past an hour); an em dash for None (talk time, call length)."""
    if seconds is None:
        return "—"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def when(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M")


def highlight(text: str, query: str | None) -> Markup:
    """`text` escaped, each word that a query word stems to wrapped in <mark>.

    The store's search stems words (Porter, English); this marks a word sharing a query
    word's first letters (all but up to three, at least three), so "charging" marks
    "charged"; a query word under four letters marks only itself.
    """
    from qa_pipeline.store.search import words

    terms = words(query or "")
    exact = {w for w in terms if len(w) < 4}
    stems = [w[: max(3, len(w) - 3)] for w in terms if len(w) >= 4]
    out, last = [], 0
    for match in _WORD.finditer(text):
        word = match.group().lower()
        if word in exact or any(word.startswith(stem) for stem in stems):
            out += [escape(text[last:match.start()]), Markup("<mark>"), escape(match.group()), Markup("</mark>")]
            last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


@pass_context
def failed_title(context, criterion_id: str | None) -> str:
    """What a fail of the criterion means (the rubric's `failed_title`), else "Not met: <title>"."""
    worded = context.get("failed_titles", {}).get(criterion_id)
    return worded or f"Not met: {criterion_title(context, criterion_id)}"


@pass_context
def agent_name(context, agent_id: str | None) -> str:
    """The agent's roster name with the id ("Anna Lee (agent-anna)"), the id alone when the store has no name."""
    name = context.get("agent_names", {}).get(agent_id)
    return f"{name} ({agent_id})" if name else (agent_id or "unknown")


_WORDS = {"im": "I'm", "wpm": "WPM"}
_WORD = re.compile(r"\w+", re.UNICODE)


@pass_context
def criterion_title(context, criterion_id: str | None) -> str:
    """The criterion's title as its rubric words it (`titles` in the page context), else `label`."""
    return context.get("titles", {}).get(criterion_id) or label(criterion_id)


def label(identifier: str | None) -> str:
    """`no_price_before_need` -> `No price before need`; `no_im_listening` -> `No I'm listening`."""
    words = [_WORDS.get(w, w) for w in (identifier or "").split("_")]
    return " ".join(words)[:1].upper() + " ".join(words)[1:]
