"""The calls list's query string <-> `CallFilter`, lenient about blanks and typos."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from qa_pipeline.store.views import REVIEW_STATUSES, SORTS, CallFilter

FIELDS = ("q", "agent", "rubric", "status", "date_from", "date_to", "score_min", "score_max", "failed", "passed",
          "serious", "sort", "order")


def parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _page(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


def parse(params, forced_agent: str | None = None) -> CallFilter:
    """A filter from query parameters; `forced_agent` pins an agent account to their own calls."""
    sort = params.get("sort") if params.get("sort") in SORTS else "date"
    return CallFilter(
        agent_id=forced_agent or params.get("agent") or None,
        date_from=parse_date(params.get("date_from")),
        date_to=parse_date(params.get("date_to")),
        score_min=_number(params.get("score_min")),
        score_max=_number(params.get("score_max")),
        failed=params.get("failed") or None,
        passed=params.get("passed") or None,
        serious=params.get("serious") or None,
        text=(params.get("q") or "").strip()[:200] or None,
        rubric=params.get("rubric") or None,
        status=params.get("status") if params.get("status") in REVIEW_STATUSES else None,
        sort=sort,
        descending=params.get("order", "desc") != "asc",
        page=_page(params.get("page")),
    )


def query_string(call_filter: CallFilter, **changes) -> str:
    """The query string that reproduces `call_filter` (with `changes`), blanks left out."""
    f = call_filter
    values = {
        "q": f.text,
        "agent": f.agent_id,
        "rubric": f.rubric,
        "status": f.status,
        "date_from": f.date_from.isoformat() if f.date_from else None,
        "date_to": f.date_to.isoformat() if f.date_to else None,
        "score_min": _plain(f.score_min),
        "score_max": _plain(f.score_max),
        "failed": f.failed,
        "passed": f.passed,
        "serious": f.serious,
        "sort": f.sort if f.sort != "date" else None,
        "order": None if f.descending else "asc",
        "page": f.page if f.page > 1 else None,
    } | changes
    return urlencode({k: v for k, v in values.items() if v not in (None, "")})


def _plain(number: float | None) -> str | None:
    if number is None:
        return None
    return str(int(number)) if float(number).is_integer() else str(number)
