"""The results store on a real PostgreSQL server started from Debian's binaries in a temp folder."""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from qa_pipeline.identity import content_hash
from qa_pipeline.records import FAIL, PASS
from qa_pipeline.store import migrate, open_store
from qa_pipeline.store.views import CallFilter

from _web_helpers import PASSWORD, free_port, rescored, write_corpus

pytestmark = pytest.mark.postgres


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def _as_owner(args: list[str]) -> list[str]:
    # initdb refuses to run as root; the cluster then belongs to the postgres account.
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@pytest.fixture(scope="module")
def postgres_url():
    bin_dir = _bin_dir()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server binaries under /usr/lib/postgresql (Debian package 'postgresql')")
    folder = Path(tempfile.mkdtemp(prefix="qa-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data, port = folder / "data", free_port()
    run = lambda *args: subprocess.run(_as_owner([str(a) for a in args]), check=True, capture_output=True)  # noqa: E731
    run(bin_dir / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale")
    options = f"-k {folder} -p {port} -c listen_addresses=''"
    run(bin_dir / "pg_ctl", "-D", data, "-o", options, "-l", folder / "server.log", "-w", "start")
    try:
        yield f"postgresql+psycopg://postgres@/postgres?host={folder}&port={port}"
    finally:
        run(bin_dir / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture
def store(postgres_url):
    opened = open_store(postgres_url)
    with opened.engine.begin() as connection:
        names = ("access_log, rescore_runs, review_events, overrides, sessions, users, utterances, evidence, criterion_results, "
                 "scorecards, calls, agents")
        connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    yield opened
    opened.close()


def save_all(store, corpus) -> dict[str, int]:
    from qa_pipeline.cli.store_import import import_file

    return {call_id: import_file(store, path) for call_id, path in corpus.items()}


def test_postgres_store_is_migrated_to_head_and_matches_the_models(store):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from qa_pipeline.store.schema import Base, include_name

    assert store.engine.dialect.name == "postgresql"
    assert migrate.current_revision(store.engine) == migrate.head_revision()
    with store.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection, opts={"include_name": include_name}), Base.metadata) == []


def test_postgres_resave_is_idempotent_and_keeps_overrides(store, corpus):
    ids = save_all(store, corpus)
    supervisor = store.add_user("sam", "supervisor", PASSWORD)
    store.add_override(ids["C02"], "name_use", PASS, "name used at 7 s", supervisor.id)
    detail = store.call_detail(ids["C02"])
    store.save_scorecard(rescored(detail.card, said_goodbye=FAIL), content_hash(detail.audio_path), detail.audio_path)
    assert save_all(store, corpus) == ids
    again = store.call_detail(ids["C02"])
    assert (again.times_saved, again.effective_verdict("name_use"), len(again.overrides)) == (3, PASS, 1)
    assert store.list_calls(CallFilter()).total == len(corpus)


@pytest.mark.parametrize(
    ("call_filter", "expected"),
    [
        (CallFilter(failed="name_use"), ["C03", "C02"]),
        (CallFilter(agent_id="agent-ben", sort="score", descending=False), ["C03", "C04"]),
        (CallFilter(score_min=80, score_max=90), ["C04", "C02"]),
    ],
)
def test_postgres_calls_list(store, corpus, call_filter, expected):
    save_all(store, corpus)
    assert [r.call_label for r in store.list_calls(call_filter).rows] == expected


def test_postgres_reports(store, corpus):
    ids = save_all(store, corpus)
    supervisor = store.add_user("sam", "supervisor", PASSWORD)
    store.add_override(ids["C03"], "asked_questions", PASS, "two need questions", supervisor.id)
    calibration = {r.criterion_id: r for r in store.calibration()}
    assert calibration["asked_questions"].fail_to_pass == 1
    assert store.agent_report("agent-ben").weakest[0].criterion_id in {"name_use", "said_goodbye"}
    assert [h.call_label for h in store.library("asked_questions", PASS)] == ["C04", "C03", "C02", "C01"]


def test_postgres_full_text_search_and_disputes(store, corpus):
    from dataclasses import replace

    from qa_pipeline.contract import scorecard_from_dict

    ids = save_all(store, corpus)
    data = json.loads(corpus["C03"].read_text())
    card = scorecard_from_dict(data)
    lines = tuple(replace(u, text="I was charged twice for the cleaning.") if u.text.startswith("Thursday") else u
                  for u in card.transcript.utterances)
    card = replace(card, transcript=replace(card.transcript, utterances=lines))
    store.save_scorecard(card, content_hash(card.recording), card.recording, call_time=data["call_time"])
    page = store.list_calls(CallFilter(text="twice charging"))
    assert [r.call_label for r in page.rows] == ["C03"]
    assert page.rows[0].hit.text == "I was charged twice for the cleaning."
    assert [r.call_label for r in store.list_calls(CallFilter(text="ben")).rows] == ["C04", "C03"]
    agent = store.add_user("ana", "agent", PASSWORD, "agent-anna")
    supervisor = store.add_user("sam", "supervisor", PASSWORD)
    dispute = store.dispute(ids["C02"], "name_use", "I said her name", agent.id)
    store.resolve_dispute(dispute, supervisor.id, "name at 0:01", verdict=PASS)
    assert [e.kind for e in store.call_detail(ids["C02"]).history] == ["disputed", "overruled"]
    assert store.review_queue(weekly_target=0, low_confidence=0.0)[0].call_label == "C04"


def test_postgres_kpis_callbacks_review_flags_and_access_log(store):
    from datetime import date

    from qa_pipeline.store.kpis import agent_periods

    from _kpi_helpers import seed_kpis

    ids = seed_kpis(store)
    monday = date(2026, 11, 23)
    row = next(r for r in agent_periods(store.kpi_calls(), monday, monday) if r.agent_id == "agent-anna")
    assert (row.figures.calls, row.figures.connections, row.versus("calls")) == (5, 4, (5.0, 3.0))
    assert [c.call_label for c in store.callbacks_due(date(2026, 12, 6))] == ["B01", "A06"]
    supervisor = store.add_user("sam", "supervisor", PASSWORD)
    store.add_override(ids["A02"], "purpose_stated_early", FAIL, "purpose came late", supervisor.id)
    store.carry_overrides(ids["A02"], ids["A04"], ["purpose_stated_early"], ["purpose_stated_early"])
    assert store.call_detail(ids["A04"]).latest_override("purpose_stated_early").verdict == FAIL
    assert store.review_queue(weekly_target=0, low_confidence=0.0)[0].call_label == "A04"
    store.log_access(supervisor.id, ids["A04"], "page")
    assert [(name, action) for name, action, _ in store.access_log(ids["A04"])] == [("sam", "page")]
    assert store.agent_report(None).scores and store.team_weeks()[0].criterion_id == "purpose_stated_early"


def test_workers_opening_a_fresh_postgres_store_at_once_all_succeed(postgres_url):
    from concurrent.futures import ThreadPoolExecutor

    admin = open_store(postgres_url)
    with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("DROP DATABASE IF EXISTS fresh")
        connection.exec_driver_sql("CREATE DATABASE fresh")
    admin.close()
    # A lock wait past 30 s fails the test instead of hanging it.
    fresh = postgres_url.replace("/postgres?", "/fresh?") + "&options=-c%20lock_timeout%3D30000"
    with ThreadPoolExecutor(4) as pool:
        stores = list(pool.map(lambda _: open_store(fresh), range(4)))
    assert {migrate.current_revision(s.engine) for s in stores} == {migrate.head_revision()}
    for opened in stores:
        opened.close()
