"""Server-rendered SVG for the KPI page: one chart per agent, days on a time axis.

Left panel: calls per day (bars) with the connections among them (dark bars) and the agent's
trailing average calls per working day (dashed line). Right panel: the average length of
successful calls per day (points) against the playbook's 3.5-minute reference line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from html import escape

from qa_pipeline.store.kpis import SUCCESSFUL_REFERENCE_S, AgentPeriod
from qa_pipeline.web.charts import date_ticks, time_x
from qa_pipeline.web.i18n import gettext_ as _

PANEL_W, PANEL_H = 380, 170
LEFT, RIGHT, TOP, BOTTOM = 40, 14, 26, 24


def _nice(top: float) -> float:
    """The axis top: the next even whole number, so the mid grid line is whole too."""
    return float(2 * math.ceil(top / 2))


def _y(value: float, top: float) -> float:
    return TOP + (PANEL_H - TOP - BOTTOM) * (1 - (value / top if top else 0))


def _grid(top: float, unit: str) -> list[str]:
    parts = []
    for value in (0.0, top / 2, top):
        y = _y(value, top)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{PANEL_W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="tick" x="{LEFT - 5}" y="{y + 4:.1f}" text-anchor="end">{value:g}{unit}</text>')
    return parts


def _axis(first: date, last: date) -> list[str]:
    return [f'<text class="tick" x="{x:.1f}" y="{PANEL_H - 6}" text-anchor="{anchor}">{day:%d %b}</text>'
            for day, x, anchor in date_ticks(first, last, LEFT, PANEL_W - RIGHT)]


def _calls_panel(days: Sequence[AgentPeriod], first: date, last: date) -> list[str]:
    baselines = [d.versus("calls")[1] for d in days]
    top = _nice(max([d.figures.calls for d in days] + [b for b in baselines if b is not None] + [1]))
    span = max(1, (last - first).days + 1)
    bar = max(2.0, min(18.0, (PANEL_W - LEFT - RIGHT) / span * 0.7))
    title = _("Calls per day, connections dark")
    parts = [f'<text class="panel-title" x="40" y="15">{escape(title)}</text>', *_grid(top, "")]
    for d in days:
        x = time_x(d.start, first, last, LEFT, PANEL_W - RIGHT)
        for cls, value in (("calls", d.figures.calls), ("connections", d.figures.connections)):
            y = _y(value, top)
            parts.append(f'<rect class="{cls}" x="{x - bar / 2:.1f}" y="{y:.1f}" width="{bar:.1f}" '
                         f'height="{_y(0, top) - y:.1f}"><title>{d.start:%d %b %Y}: {d.figures.calls} calls, '
                         f'{d.figures.connections} connections</title></rect>')
    line = [(time_x(d.start, first, last, LEFT, PANEL_W - RIGHT), _y(b, top)) for d, b in zip(days, baselines)
            if b is not None]
    if line:
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in line)
        parts.append(f'<polyline class="baseline" points="{points}"><title>trailing average calls per working '
                     f'day (previous 28 days)</title></polyline>')
    return parts + _axis(first, last)


def _length_panel(days: Sequence[AgentPeriod], first: date, last: date) -> list[str]:
    minutes = [(d, d.figures.avg_successful_s / 60) for d in days if d.figures.avg_successful_s is not None]
    reference = SUCCESSFUL_REFERENCE_S / 60
    top = _nice(max([m for _day, m in minutes] + [reference * 1.5]))
    title = _("Successful call length (min)")
    parts = [f'<text class="panel-title" x="40" y="15">{escape(title)}</text>', *_grid(top, "")]
    y = _y(reference, top)
    playbook = _("playbook %(minutes)s min") % {"minutes": f"{reference:.1f}"}
    parts.append(f'<line class="reference" x1="{LEFT}" x2="{PANEL_W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}">'
                 f'<title>playbook reference: {reference:.1f} min</title></line>')
    parts.append(f'<text class="reference-label" x="{PANEL_W - RIGHT}" y="{y - 4:.1f}" text-anchor="end">'
                 f'{escape(playbook)}</text>')
    for d, value in minutes:
        x = time_x(d.start, first, last, LEFT, PANEL_W - RIGHT)
        parts.append(f'<circle class="point" cx="{x:.1f}" cy="{_y(value, top):.1f}" r="4"><title>{d.start:%d %b %Y}: '
                     f'{value:.1f} min over {d.figures.successful} successful call'
                     f'{"s" if d.figures.successful != 1 else ""}</title></circle>')
    return parts + _axis(first, last)


def agent_kpi_chart(agent_id: str, days: Sequence[AgentPeriod], first: date, last: date) -> str:
    """The two panels for one agent's days (`agent_periods(..., period="day")`) from `first` to `last`."""
    width = 2 * PANEL_W
    parts = [f'<svg class="kpi-chart" data-agent="{escape(agent_id)}" xmlns="http://www.w3.org/2000/svg" '
             f'width="{width}" height="{PANEL_H}" viewBox="0 0 {width} {PANEL_H}" role="img" '
             f'aria-label="{escape(agent_id)}: calls per day and successful call length">',
             '<g class="panel">', *_calls_panel(days, first, last), "</g>",
             f'<g class="panel" transform="translate({PANEL_W},0)">', *_length_panel(days, first, last), "</g>",
             "</svg>"]
    return "\n".join(parts)
