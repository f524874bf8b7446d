"""Trend plots: an agent's and the team's mean score and pass rates over time, days to scale (real SQLite, in-process)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from qa_pipeline.store.views import AgentReport, RatePoint, ScorePoint
from qa_pipeline.web.charts import pass_rate_chart

from _web_helpers import client_for


def xs(svg: str, panel: str) -> list[float]:
    group = svg.split(f'data-criterion="{panel}"')[1].split("</g>")[0]
    return [float(x) for x in re.findall(r'<circle class="point" cx="([\d.]+)"', group)]


def test_points_sit_on_a_time_axis_to_scale():
    days = [date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 11)]
    report = AgentReport("agent-anna", 3, 80.0, "day",
                         series=tuple(RatePoint("name_use", d, d, 1, 1) for d in days),
                         scores=tuple(ScorePoint(d, d, 80.0, 1) for d in days))
    svg = pass_rate_chart(report, lambda first, last: f"/calls?date_from={first}")
    for panel in ("score", "name_use"):
        a, b, c = xs(svg, panel)
        assert (c - b) == pytest.approx(8 * (b - a), abs=1)  # one day, then eight (coordinates kept to 0.1)
    # Labelled days spread over the span, not only its ends.
    assert re.findall(r">(\d\d \w\w\w)</text>", svg.split('data-criterion="score"')[1].split("</g>")[0]) == [
        "02 Nov", "05 Nov", "08 Nov", "11 Nov"]


def test_the_agent_page_plots_the_mean_score_first(site):
    app, _, _ = site
    html = client_for(app, "sam").get("/agents/agent-anna").text
    panels = re.findall(r'<g class="panel" data-criterion="([a-z_]+)"', html)
    assert panels[0] == "score" and len(panels) == 6
    # Anna: C01 (all five pass, 100) on 2 Nov, C02 (name_use failed, 80) on 3 Nov.
    assert "Score, 02 Nov 2026: mean 100 over 1 card" in html and "Score, 03 Nov 2026: mean 80 over 1 card" in html


def test_the_team_page_plots_everyone_and_names_the_criteria_failing_most_this_week(site):
    app, _, _ = site
    html = client_for(app, "sam").get("/agents").text
    team = html.split('class="chart team-chart"')[1]
    assert re.findall(r'<g class="panel" data-criterion="([a-z_]+)"', team)[0] == "score"
    assert 'href="/calls?date_from=2026-11-05&amp;date_to=2026-11-05"' in team  # no agent filter: the team
    weeks = re.findall(r'<tr data-criterion="([a-z_]+)">', html.split('class="team-weeks"')[1])
    # All four calls fall in the week of 2 November: name_use failed twice, asked_questions and said_goodbye once.
    assert weeks[0] == "name_use" and set(weeks[1:3]) == {"asked_questions", "said_goodbye"}
    assert "week of 2026-11-02" in html
    assert client_for(app, "ana").get("/agents").status_code == 303  # an agent goes to their own page
