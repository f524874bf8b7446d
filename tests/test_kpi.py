"""Team KPIs and callbacks due, on a real SQLite store filled with sales scorecard JSON."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from alembic import command

from qa_pipeline.contract import scorecard_from_dict
from qa_pipeline.store import migrate, open_store
from qa_pipeline.store.card_fields import card_fields
from qa_pipeline.store.kpis import NO_STATUS, agent_periods

from _kpi_helpers import WEEK, card_json, save_json, seed_kpis
from _web_helpers import PASSWORD, client_for


@pytest.fixture(scope="module")
def kpi_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("kpi") / "store.sqlite"
    store = open_store(f"sqlite:///{path}")
    ids = seed_kpis(store)
    for name, role, agent in (("sam", "supervisor", None), ("ana", "agent", "agent-anna"), ("ben", "agent", "agent-ben")):
        store.add_user(name, role, PASSWORD, agent)
    yield store, ids, f"sqlite:///{path}"
    store.close()


def day(store, agent: str, when: str, period: str = "day"):
    d = date.fromisoformat(when)
    last = d + timedelta(days=6 if period == "week" else 0)
    rows = [r for r in agent_periods(store.kpi_calls(), d, last, period) if r.agent_id == agent]
    assert len(rows) == 1
    return rows[0]


def test_a_day_counts_calls_connections_talk_time_and_statuses(kpi_store):
    store, _, _ = kpi_store
    row = day(store, "agent-anna", "2026-11-23")
    f = row.figures
    # Five calls (A01's etiquette card is the same call: counted once, with its sales status);
    # A03 (invalid number, the customer never spoke) is the one call that is no connection.
    assert (f.calls, f.connections, f.talk_s) == (5, 4, 600.0)
    assert f.statuses == {"meeting_booked": 2, "invalid_number": 1, "no_need": 1, NO_STATUS: 1}
    assert f.avg_successful_s == 210.0
    assert f.group_share("do_not_call") == pytest.approx(0.4) and f.group_share(NO_STATUS) == pytest.approx(0.2)


def test_statuses_that_say_the_person_was_not_reached_are_no_connection(kpi_store):
    f = day(kpi_store[0], "agent-anna", "2026-11-24").figures
    # gatekeeper_refused and contact_absent: someone spoke, but not the person sought.
    assert (f.calls, f.connections) == (6, 4)


def test_the_baseline_is_the_agents_previous_four_weeks_per_working_day(kpi_store):
    row = day(kpi_store[0], "agent-anna", "2026-11-23")
    b = row.baseline
    assert (b.calls, b.working_days) == (24, 8)
    assert row.versus("calls") == (5.0, 3.0)
    assert row.versus("connections") == (4.0, 2.0)
    assert b.avg_successful_s == 300.0
    assert day(kpi_store[0], "agent-ben", "2026-11-25").baseline.working_days == 0


def test_a_short_week_is_read_per_working_day(kpi_store):
    week = day(kpi_store[0], "agent-anna", "2026-11-23", "week")
    assert (week.figures.calls, week.figures.working_days) == (11, 2)
    assert week.versus("calls") == (5.5, 3.0)


def test_callbacks_due_are_those_whose_date_has_come_with_the_words(kpi_store):
    store = kpi_store[0]
    due = store.callbacks_due(date(2026, 12, 6))
    assert [(c.call_label, c.agent_id, c.due.isoformat(), c.words) for c in due] == [
        ("B01", "agent-ben", "2026-11-27", "on Friday"), ("A06", "agent-anna", "2026-11-30", "next Monday")]
    assert due[1].quote == "We are busy now, call me next Monday."
    assert [c.call_label for c in store.callbacks_due(date(2026, 11, 29))] == ["B01"]
    assert [c.call_label for c in store.callbacks_due(date(2026, 12, 6), "agent-anna")] == ["A06"]


def test_the_kpi_page_csv_and_callbacks_in_the_app(kpi_store):
    from qa_pipeline.web.app import create_app

    _, ids, url = kpi_store
    app = create_app(url)
    try:
        sam = client_for(app, "sam")
        page = sam.get("/kpi?from=2026-11-23&to=2026-11-29")
        assert page.status_code == 200
        assert 'data-agent="agent-anna"' in page.text and 'data-agent="agent-ben"' in page.text
        assert 'class="reference"' in page.text and "playbook 3.5 min" in page.text
        table = sam.get("/kpi.csv?from=2026-11-23&to=2026-11-29&period=week")
        rows = list(csv.DictReader(io.StringIO(table.text)))
        anna = next(r for r in rows if r["agent_id"] == "agent-anna")
        assert (anna["calls"], anna["working_days"], anna["connections"], anna["status_meeting_booked"]) == \
            ("11", "2", "8", "3")
        assert (anna["baseline_calls_per_day"], anna["baseline_working_days"]) == ("3.0", "8")
        russian = sam.get("/kpi?from=2026-11-23&to=2026-11-29&lang=ru").text
        assert "11 звонков, 2 рабочих дня" in russian and "2 звонка, 1 рабочий день" in russian
        assert "методичка: 3.5 мин" in russian and "Встреча назначена" in russian
        ana = client_for(app, "ana")
        own = ana.get("/kpi?from=2026-11-23&to=2026-11-29&agent=agent-ben")
        assert 'data-agent="agent-anna"' in own.text and 'data-agent="agent-ben"' not in own.text
        assert "B01" not in ana.get("/callbacks").text
        due = sam.get("/callbacks").text
        assert due.index("B01") < due.index("A06") and "next Monday" in due and "A08" not in due
        assert '<div class="quote muted" lang="en">' in due
        call = sam.get(f"/calls/{ids['A06']}").text
        assert '<ol class="turns" lang="en">' in call  # the card's language on its words
    finally:
        app.state.store.close()


def test_a_malformed_sales_block_gives_no_sales_fields_and_no_error():
    data = card_json("X01", "agent-anna", "2026-11-23T09:00:00", "bad_timing", 60, True,
                     ("not a date", "soon", "Call me soon."))
    data["sales"]["next_contact"]["evidence"][0]["start"] = "early"
    fields = card_fields(scorecard_from_dict(data), data, str.upper)
    assert (fields["sales_status"], fields["next_contact_date"], fields["next_contact_words"]) == ("bad_timing", None, "SOON")
    assert fields["next_contact_quote"] == "CALL ME SOON."  # not found in the transcript by time: redacted here
    assert card_fields(scorecard_from_dict(data), data | {"sales": "junk"}, str.upper)["sales_status"] is None


def test_cards_stored_before_the_migration_count_as_calls_without_status(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'old.sqlite'}")
    save_json(store, card_json(*WEEK[0]))
    save_json(store, card_json(*WEEK[2]))  # invalid number: the customer never spoke
    with store.engine.begin() as connection:  # back to before 0008: the columns go, the rows stay
        command.downgrade(migrate.alembic_config(connection), "0007_review")
    store.close()
    store = open_store(f"sqlite:///{tmp_path / 'old.sqlite'}")  # migrates to head again
    try:
        calls = store.kpi_calls()
        assert sorted((c.status, c.customer_turns) for c in calls) == [(NO_STATUS, 0), (NO_STATUS, 1)]
        assert sum(c.connected for c in calls) == 1  # the customer turns counted from the stored transcript
    finally:
        store.close()
