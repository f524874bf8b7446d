"""The results store on a real SQLite file: migrations, idempotent saves, overrides, reports."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from qa_pipeline.cli.store_import import command as import_command
from qa_pipeline.contract import scorecard_from_dict, scorecard_to_dict
from qa_pipeline.errors import ConfigError
from qa_pipeline.identity import content_hash
from qa_pipeline.records import FAIL, NOT_APPLICABLE, PASS, RoleDecision
from qa_pipeline.store import ENV_VAR, default_path, default_url, migrate, open_store
from qa_pipeline.store.passwords import hash_password, verify_password
from qa_pipeline.store.schema import Base, Call, CriterionRow, EvidenceRow, ScorecardRow, UtteranceRow, include_name
from qa_pipeline.store.views import CallFilter

from _web_helpers import PASSWORD, rescored, write_corpus

TABLES = (Call, ScorecardRow, CriterionRow, EvidenceRow, UtteranceRow)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture
def store(tmp_path):
    opened = open_store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    yield opened
    opened.close()


def load(path):
    data = json.loads(path.read_text())
    return scorecard_from_dict(data), data["call_time"]


def save(store, path):
    card, when = load(path)
    return store.save_scorecard(card, content_hash(card.recording), card.recording, call_time=when)


@pytest.fixture
def filled(store, corpus):
    ids = {call_id: save(store, path) for call_id, path in corpus.items()}
    supervisor = store.add_user("sam", "supervisor", PASSWORD)
    return store, ids, supervisor


def row_counts(store) -> dict[str, int]:
    with store.transaction() as session:
        return {t.__tablename__: session.scalar(select(func.count()).select_from(t)) for t in TABLES}


def test_open_creates_the_file_and_migrates_to_head(tmp_path):
    path = tmp_path / "nested" / "qa.sqlite"
    store = open_store(f"sqlite:///{path}")
    assert path.is_file()
    assert migrate.current_revision(store.engine) == migrate.head_revision()


def test_reopening_a_migrated_store_keeps_its_data(tmp_path, corpus):
    url = f"sqlite:///{tmp_path / 'qa.sqlite'}"
    save(open_store(url), corpus["C01"])
    assert open_store(url).list_calls(CallFilter()).total == 1


def test_migrations_build_exactly_the_models(store):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with store.engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection, opts={"include_name": include_name}), Base.metadata)
    assert diffs == []


@pytest.mark.parametrize(
    ("env", "expected"),
    [(None, f"sqlite:///{default_path()}"), ("postgresql+psycopg://qa@db/qa", "postgresql+psycopg://qa@db/qa")],
)
def test_default_url_honours_the_environment(monkeypatch, env, expected):
    monkeypatch.delenv(ENV_VAR, raising=False)
    if env:
        monkeypatch.setenv(ENV_VAR, env)
    assert default_url() == expected


def test_default_store_lives_in_the_gitignored_data_folder(root):
    assert default_path() == root / "data" / "store" / "qa-pipeline.sqlite"
    assert "/data/store/" in (root / ".gitignore").read_text().split()


def test_an_unusable_url_is_one_clear_error():
    with pytest.raises(ConfigError, match="cannot open results store 'nosuchdialect://x'"):
        open_store("nosuchdialect://x")


def test_a_saved_scorecard_reads_back_unchanged(store, corpus):
    card, _ = load(corpus["C03"])
    scorecard_id = store.save_scorecard(card, "a" * 64, card.recording)
    from qa_pipeline.redaction.scorecard import ensure_redacted

    # The store redacts what it keeps (a no-op on this PII-free card but for the versions mark).
    assert scorecard_to_dict(store.call_detail(scorecard_id).card) == scorecard_to_dict(ensure_redacted(card))


def test_resaving_the_same_content_and_rubric_creates_no_duplicates(filled, corpus):
    store, ids, _ = filled
    before = row_counts(store)
    again = {call_id: save(store, path) for call_id, path in corpus.items()}
    assert again == ids
    assert row_counts(store) == before
    assert store.call_detail(ids["C01"]).times_saved == 2


def test_resaving_replaces_the_machine_verdicts(filled, corpus):
    store, ids, _ = filled
    card, _ = load(corpus["C01"])
    store.save_scorecard(rescored(card, name_use=FAIL), content_hash(card.recording), card.recording)
    assert store.call_detail(ids["C01"]).card.result("name_use").verdict == FAIL


def test_overrides_survive_a_rescore(filled, corpus):
    store, ids, supervisor = filled
    store.add_override(ids["C02"], "name_use", PASS, "used 'Mrs Patel' at 12 s; ASR missed it", supervisor.id)
    card, _ = load(corpus["C02"])
    store.save_scorecard(rescored(card, said_goodbye=FAIL), content_hash(card.recording), card.recording)
    detail = store.call_detail(ids["C02"])
    assert [(o.criterion_id, o.machine_verdict, o.verdict, o.user_name) for o in detail.overrides] == [
        ("name_use", FAIL, PASS, "sam")
    ]
    assert detail.effective_verdict("name_use") == PASS


def test_overrides_keep_the_whole_audit_trail(filled):
    store, ids, supervisor = filled
    store.add_override(ids["C02"], "name_use", PASS, "first look", supervisor.id)
    store.add_override(ids["C02"], "name_use", NOT_APPLICABLE, "caller never gave a name", supervisor.id)
    detail = store.call_detail(ids["C02"])
    assert [o.comment for o in detail.overrides] == ["first look", "caller never gave a name"]
    assert detail.latest_override("name_use").verdict == NOT_APPLICABLE


@pytest.mark.parametrize(
    ("criterion", "verdict", "comment", "error"),
    [
        ("name_use", "maybe", "x", ValueError),
        ("name_use", PASS, "  ", ValueError),
        ("no_such_criterion", PASS, "x", LookupError),
    ],
)
def test_a_bad_override_is_refused(filled, criterion, verdict, comment, error):
    store, ids, supervisor = filled
    with pytest.raises(error):
        store.add_override(ids["C02"], criterion, verdict, comment, supervisor.id)


def test_a_new_rubric_version_is_a_second_scorecard_of_the_same_call(filled, corpus):
    store, ids, _ = filled
    card, _ = load(corpus["C01"])
    new_id = store.save_scorecard(replace(card, rubric_version="2"), content_hash(card.recording), card.recording)
    assert new_id != ids["C01"]
    assert row_counts(store)["calls"] == len(corpus)


def test_a_failed_save_leaves_nothing_behind(store, corpus):
    card, _ = load(corpus["C01"])
    broken = replace(card, criteria=(replace(card.criteria[0], verdict=None),))
    with pytest.raises(IntegrityError):  # verdict is NOT NULL
        store.save_scorecard(broken, "b" * 64, card.recording)
    assert set(row_counts(store).values()) == {0}


@pytest.mark.parametrize(
    ("call_filter", "expected"),
    [
        (CallFilter(), ["C04", "C03", "C02", "C01"]),
        (CallFilter(agent_id="agent-anna"), ["C02", "C01"]),
        (CallFilter(date_from=date(2026, 11, 3), date_to=date(2026, 11, 3)), ["C03", "C02"]),
        (CallFilter(date_from=date(2026, 11, 4)), ["C04"]),
        (CallFilter(score_min=80), ["C04", "C02", "C01"]),
        (CallFilter(score_max=60), ["C03"]),
        (CallFilter(failed="name_use"), ["C03", "C02"]),
        (CallFilter(passed="said_goodbye", agent_id="agent-ben"), ["C03"]),
        (CallFilter(sort="score", descending=False), ["C03", "C04", "C02", "C01"]),
        (CallFilter(sort="date", descending=False), ["C01", "C02", "C03", "C04"]),
        (CallFilter(page=2, page_size=3), ["C01"]),
    ],
)
def test_calls_list_filters_sorts_and_pages(filled, call_filter, expected):
    store, _, _ = filled
    assert [r.call_label for r in store.list_calls(call_filter).rows] == expected


def test_failed_filter_follows_supervisor_overrides(filled):
    store, ids, supervisor = filled
    store.add_override(ids["C02"], "name_use", PASS, "name used", supervisor.id)
    page = store.list_calls(CallFilter(failed="name_use"))
    assert [r.call_label for r in page.rows] == ["C03"]


def test_calls_list_marks_failed_and_overridden_criteria(filled):
    store, ids, supervisor = filled
    store.add_override(ids["C03"], "asked_questions", PASS, "two need questions", supervisor.id)
    row = next(r for r in store.list_calls(CallFilter()).rows if r.call_label == "C03")
    assert (row.failed, row.overridden) == (("name_use",), ("asked_questions",))


def test_agent_report_gives_pass_rates_per_day_and_the_weakest_criteria(filled):
    store, _, _ = filled
    report = store.agent_report("agent-anna")
    name_use = [(p.period_start, p.passed, p.applicable) for p in report.series if p.criterion_id == "name_use"]
    assert name_use == [(date(2026, 11, 2), 1, 1), (date(2026, 11, 3), 0, 1)]
    assert (report.calls, report.period, report.weakest[0].criterion_id) == (2, "day", "name_use")


def test_agent_report_switches_to_weeks_over_long_spans(filled, corpus):
    store, _, _ = filled
    card, _ = load(corpus["C01"])
    later = (date(2026, 11, 2) + timedelta(days=60)).isoformat() + "T09:00:00"
    store.save_scorecard(replace(card, call_id="C09"), "c" * 64, card.recording, call_time=later)
    report = store.agent_report("agent-anna")
    assert report.period == "week"
    assert {p.period_start.weekday() for p in report.series} == {0}


def test_calibration_counts_disagreements_per_criterion(filled):
    store, ids, supervisor = filled
    store.add_override(ids["C02"], "name_use", PASS, "used the name", supervisor.id)
    store.add_override(ids["C01"], "said_goodbye", FAIL, "no goodbye", supervisor.id)
    store.add_override(ids["C04"], "self_introduction", PASS, "agree with the machine", supervisor.id)
    rows = {r.criterion_id: r for r in store.calibration()}
    assert (rows["name_use"].fail_to_pass, rows["said_goodbye"].pass_to_fail) == (1, 1)
    assert (rows["self_introduction"].reviewed, rows["self_introduction"].disagreements) == (1, 0)
    assert rows["name_use"].disagreement_rate == pytest.approx(1 / 4)


def test_library_finds_calls_by_criterion_and_verdict_with_evidence(filled):
    store, _, _ = filled
    hits = store.library("name_use", FAIL)
    assert [h.call_label for h in hits] == ["C03", "C02"]
    assert hits[0].evidence[0].text.startswith("Of course")


@pytest.mark.parametrize(
    ("password", "attempt", "expected"),
    [("s3cret", "s3cret", True), ("s3cret", "S3cret", False), ("s3cret", "", False)],
)
def test_password_hashes_verify(password, attempt, expected):
    assert verify_password(attempt, hash_password(password)) is expected


def test_password_hashes_are_salted_and_malformed_ones_never_match():
    assert hash_password("same") != hash_password("same")
    assert verify_password("same", "plain-text-same") is False


def test_accounts_authenticate_and_sessions_expire(store):
    user = store.add_user("ana", "agent", PASSWORD, agent_id="agent-anna")
    assert store.authenticate("ana", PASSWORD) == user
    assert store.authenticate("ana", "wrong") is None
    live, _ = store.start_session(user.id, ttl_s=3600)
    dead, _ = store.start_session(user.id, ttl_s=-1)
    assert store.session_user(live)[0] == user
    assert store.session_user(dead) is None
    store.end_session(live)
    assert store.session_user(live) is None


@pytest.mark.parametrize(
    ("role", "agent_id"), [("admin", None), ("agent", None)]
)
def test_bad_accounts_are_refused(store, role, agent_id):
    with pytest.raises(ValueError):
        store.add_user("x", role, PASSWORD, agent_id)


def test_import_command_is_idempotent_and_goes_on_past_bad_files(tmp_path, corpus):
    folder = next(iter(corpus.values())).parent
    bad = tmp_path / "in"
    bad.mkdir()
    for path in corpus.values():
        (bad / path.name).write_text(path.read_text())
    (bad / "broken.json").write_text("{not json")
    url = f"sqlite:///{tmp_path / 'qa.sqlite'}"
    first = CliRunner().invoke(import_command, [str(bad), "--db", url])
    assert first.exit_code == 1 and "broken.json: not a readable scorecard" in first.output
    assert "imported 4 scorecard(s)" in first.output
    second = CliRunner().invoke(import_command, [str(folder), "--db", url])
    assert second.exit_code == 0
    assert row_counts(open_store(url))["scorecards"] == 4


def test_import_hashes_the_recording_when_it_exists_else_the_json(tmp_path, corpus):
    store = open_store(f"sqlite:///{tmp_path / 'qa.sqlite'}")
    from qa_pipeline.cli.store_import import import_file

    card, _ = load(corpus["C01"])
    orphan = tmp_path / "orphan.json"
    orphan.write_text(json.dumps(scorecard_to_dict(replace(card, recording="gone.wav"))))
    with_audio = store.call_detail(import_file(store, corpus["C01"]))
    without = store.call_detail(import_file(store, orphan))
    assert (with_audio.content_sha256, without.content_sha256) == (
        content_hash(card.recording),
        content_hash(orphan),
    )


def test_threads_opening_a_fresh_store_at_once_all_succeed(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    with ThreadPoolExecutor(4) as pool:
        stores = list(pool.map(lambda _: open_store(url), range(4)))
    assert {migrate.current_revision(s.engine) for s in stores} == {migrate.head_revision()}



def test_roles_of_a_diarized_call_are_stored_and_read_back(store, corpus):
    card, _ = load(corpus["C03"])
    mono = replace(card, channels=1, transcript=replace(
        card.transcript, channels=1, roles=RoleDecision("diarization", None, 0.91, 3)))
    scorecard_id = store.save_scorecard(mono, "b" * 64, card.recording)
    stored = store.call_detail(scorecard_id).card
    assert scorecard_to_dict(stored)["roles"] == {"source": "diarization", "agent_channel": None,
                                                  "confidence": 0.91, "speakers": 3, "direction_source": None,
                                                  "direction_confidence": None}


def test_the_direction_of_a_call_is_stored_and_read_back(store, corpus):
    card, _ = load(corpus["C03"])
    outbound = replace(card, transcript=replace(
        card.transcript, roles=RoleDecision("channels", 0, 0.9, 2, "outbound", "speech", 0.88)))
    stored = store.call_detail(store.save_scorecard(outbound, "c" * 64, card.recording)).card
    assert scorecard_to_dict(stored)["direction"] == "outbound"
    assert scorecard_to_dict(stored)["roles"]["direction_confidence"] == 0.88
    assert stored.transcript.roles_known
