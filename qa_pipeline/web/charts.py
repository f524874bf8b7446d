"""Server-rendered SVG: an agent's pass rate per criterion over time, as small multiples."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from html import escape

from qa_pipeline.store.views import AgentReport, RatePoint, ScorePoint
from qa_pipeline.web.formatting import label
from qa_pipeline.web.i18n import gettext_ as _

PANEL_W, PANEL_H = 300, 150
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 40, 12, 26, 24
COLUMNS = 3


INSET = 14  # keeps end points clear of the axis labels
MAX_TICKS = 4


def time_x(day: date, first: date, last: date, left: float, right: float) -> float:
    """`day`'s x on a time axis from `first` to `last` drawn between `left` and `right` (inset)."""
    width = right - left - 2 * INSET
    span = (last - first).days
    return left + INSET + (width / 2 if span <= 0 else width * (day - first).days / span)


def date_ticks(first: date, last: date, left: float, right: float) -> list[tuple[date, float, str]]:
    """(day, x, text-anchor) of up to MAX_TICKS labelled days, evenly spaced in time, both ends included."""
    span = (last - first).days
    if span <= 0:
        return [(first, time_x(first, first, last, left, right), "middle")]
    count = min(MAX_TICKS, span + 1)
    days = sorted({first + timedelta(days=round(span * i / (count - 1))) for i in range(count)})
    return [(d, time_x(d, first, last, left, right), "start" if d == first else "end" if d == last else "middle")
            for d in days]


def _x(day: date, periods: list[date]) -> float:
    return time_x(day, periods[0], periods[-1], PLOT_LEFT, PANEL_W - PLOT_RIGHT)


def _y(rate: float) -> float:
    return PLOT_TOP + (PANEL_H - PLOT_TOP - PLOT_BOTTOM) * (1 - rate)


def _axes(periods: list[date], title: str, unit: str = "%") -> list[str]:
    parts = [f'<text class="panel-title" x="{PLOT_LEFT}" y="15">{escape(title)}</text>']
    for rate in (0.0, 0.5, 1.0):
        y = _y(rate)
        parts.append(f'<line class="grid" x1="{PLOT_LEFT}" x2="{PANEL_W - PLOT_RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="tick" x="{PLOT_LEFT - 5}" y="{y + 4:.1f}" text-anchor="end">{int(rate * 100)}{unit}</text>')
    ticks = date_ticks(periods[0], periods[-1], PLOT_LEFT, PANEL_W - PLOT_RIGHT) if periods else []
    for day, x, anchor in ticks:
        parts.append(f'<text class="tick" x="{x:.1f}" y="{PANEL_H - 6}" text-anchor="{anchor}">{day:%d %b}</text>')
    return parts


# One point of a panel: its period's first day, its height (0-1), its tooltip and link.
Mark = tuple[date, float, str, str]


def _panel(marks: list[Mark], periods: list[date], title: str, unit: str = "%") -> list[str]:
    parts = _axes(periods, title, unit)
    coords = [(_x(day, periods), _y(value), tip, href) for day, value, tip, href in marks]
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in coords)
        parts.append(f'<polyline class="rate" points="{path}"/>')
    for x, y, tip, href in coords:
        parts.append(
            f'<a href="{escape(href)}"><circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="5">'
            f"<title>{escape(tip)}</title></circle></a>"
        )
    return parts


def _score_marks(scores: tuple[ScorePoint, ...], link: Callable[[date, date], str]) -> list[Mark]:
    return [(p.period_start, p.mean / 100,
             f"Score, {p.period_start:%d %b %Y}: mean {p.mean:.0f} over {p.cards} card{'s' if p.cards != 1 else ''}",
             link(p.period_start, p.period_end)) for p in scores]


def _rate_marks(points: list[RatePoint], title: str, link: Callable[[date, date], str]) -> list[Mark]:
    return [(p.period_start, p.rate, f"{title}, {p.period_start:%d %b %Y}: {p.passed} of {p.applicable} passed",
             link(p.period_start, p.period_end)) for p in points if p.rate is not None]


def pass_rate_chart(report: AgentReport, link: Callable[[date, date], str], titles: dict[str, str] | None = None) -> str:
    """The mean score, then one panel per criterion's pass rate (named by `titles`, criterion id ->
    rubric title, where given), over time; each point links (`link(first day, last day)`) to the
    calls behind it. Periods sit on a time axis, to scale."""
    by_criterion: dict[str, list[RatePoint]] = defaultdict(list)
    for point in report.series:
        by_criterion[point.criterion_id].append(point)
    if not by_criterion and not report.scores:
        return ""
    periods = sorted({p.period_start for p in report.series} | {p.period_start for p in report.scores})
    panels = [("score", _("Mean score"), _score_marks(report.scores, link), "")]
    for criterion, points in by_criterion.items():
        title = (titles or {}).get(criterion) or label(criterion)
        panels.append((criterion, title, _rate_marks(points, title, link), "%"))
    rows = -(-len(panels) // COLUMNS)
    width, height = PANEL_W * min(COLUMNS, len(panels)), PANEL_H * rows
    parts = [
        f'<svg class="pass-rate-chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Score and pass rate per criterion over time">'
    ]
    for index, (key, title, marks, unit) in enumerate(panels):
        dx, dy = PANEL_W * (index % COLUMNS), PANEL_H * (index // COLUMNS)
        parts.append(f'<g class="panel" data-criterion="{escape(key)}" transform="translate({dx},{dy})">')
        parts.extend(_panel(marks, periods, title, unit))
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts)
