"""Transcript search, review states, disputes and the review queue on a real SQLite store."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from alembic import command

from qa_pipeline.contract import scorecard_from_dict
from qa_pipeline.identity import content_hash
from qa_pipeline.records import FAIL, PASS
from qa_pipeline.store import migrate, open_store
from qa_pipeline.store.views import IN_REVIEW, REVIEWED, UNREVIEWED, CallFilter

from _web_helpers import PASSWORD, write_corpus

# C03's customer says this instead of "Thursday afternoon if possible."
COMPLAINT = "I was charged twice for the last cleaning."


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("corpus"))


def card_of(path, say: str | None = None, confidence: dict | None = None):
    data = json.loads(path.read_text())
    card = scorecard_from_dict(data)
    if say:
        lines = tuple(replace(u, text=say) if u.text.startswith("Thursday afternoon") else u
                      for u in card.transcript.utterances)
        card = replace(card, transcript=replace(card.transcript, utterances=lines))
    if confidence:
        card = replace(card, criteria=tuple(replace(c, confidence=confidence.get(c.id, c.confidence))
                                            for c in card.criteria))
    return card, data["call_time"]


def save(store, card, when):
    return store.save_scorecard(card, content_hash(card.recording), card.recording, call_time=when)


@pytest.fixture
def filled(tmp_path, corpus):
    store = open_store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    ids = {}
    for call_id, path in corpus.items():
        ids[call_id] = save(store, *card_of(path, COMPLAINT if call_id == "C03" else None))
    users = {name: store.add_user(name, role, PASSWORD, agent) for name, role, agent in
             (("sam", "supervisor", None), ("ana", "agent", "agent-anna"), ("ben", "agent", "agent-ben"))}
    yield store, ids, users
    store.close()


def found(store, **options) -> list[str]:
    return [row.call_label for row in store.list_calls(CallFilter(**options)).rows]


def test_transcript_words_find_the_call_and_the_line(filled):
    store, _, _ = filled
    page = store.list_calls(CallFilter(text="charged twice"))
    assert [r.call_label for r in page.rows] == ["C03"]
    hit = page.rows[0].hit
    assert hit.text == COMPLAINT and hit.speaker == "customer" and hit.start_s > 3
    # Porter stemming: "charging" finds "charged"; all words must occur, in any order.
    assert found(store, text="twice charging") == ["C03"]
    assert found(store, text="charged thrice") == []
    # FTS5 syntax typed by a user is plain words, never an operator or an error.
    assert found(store, text='"charged* twice:') == ["C03"]
    assert found(store, text="charged OR thrice") == []  # "or" is a word to find, too
    assert found(store, text="NEAR(") == []


def test_search_also_matches_call_ids_and_agents_and_combines_with_filters(filled):
    store, _, _ = filled
    assert found(store, text="c02") == ["C02"]
    assert found(store, text="ben") == ["C04", "C03"]
    assert found(store, text="cleaning") == ["C04", "C03", "C02", "C01"]
    assert found(store, text="cleaning", agent_id="agent-anna") == ["C02", "C01"]
    assert found(store, text="cleaning", rubric="etiquette") == ["C04", "C03", "C02", "C01"]
    assert found(store, text="cleaning", rubric="call_handling") == []
    assert found(store, text="cleaning", failed="said_goodbye") == ["C04"]


def test_a_resave_reindexes_the_transcript(filled, corpus):
    store, _, _ = filled
    save(store, *card_of(corpus["C03"]))
    assert found(store, text="charged twice") == []
    assert found(store, text="Thursday afternoon") == ["C04", "C03", "C02", "C01"]


def test_the_migration_indexes_transcripts_stored_before_it(tmp_path, corpus):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    store = open_store(url)
    save(store, *card_of(corpus["C03"], COMPLAINT))
    with store.engine.begin() as connection:  # back to before 0007: no index, rows stay
        command.downgrade(migrate.alembic_config(connection), "0006_claims")
        assert connection.exec_driver_sql("SELECT count(*) FROM utterances").scalar() == 7
    store.close()
    store = open_store(url)  # migrates to head again, filling the index
    assert found(store, text="charged twice") == ["C03"]
    store.close()


def test_calls_without_a_time_show_none_and_sort_last(filled, corpus):
    store, _, _ = filled
    card, _ = card_of(corpus["C01"])
    undated = replace(card, call_id="C09", recording=card.recording + ".copy", call_time=None)
    store.save_scorecard(undated, "9" * 64, undated.recording)
    rows = store.list_calls(CallFilter()).rows
    assert [r.call_label for r in rows] == ["C04", "C03", "C02", "C01", "C09"]
    assert rows[-1].when is None
    assert [r.call_label for r in store.list_calls(CallFilter(descending=False)).rows][-1] == "C09"
    assert rows[0].rubric == "etiquette/1"


def test_review_status_follows_the_latest_step(filled):
    store, ids, users = filled
    sam = users["sam"].id
    assert {r.status for r in store.list_calls(CallFilter()).rows} == {UNREVIEWED}
    store.record_review(ids["C02"], "started", sam)
    store.record_review(ids["C03"], "started", sam)
    store.record_review(ids["C03"], "reviewed", sam, "all verdicts checked")
    assert found(store, status=IN_REVIEW) == ["C02"]
    assert found(store, status=REVIEWED) == ["C03"]
    assert found(store, status=UNREVIEWED) == ["C04", "C01"]
    detail = store.call_detail(ids["C03"])
    assert detail.status == REVIEWED
    assert [(e.kind, e.user_name) for e in detail.history] == [("started", "sam"), ("reviewed", "sam")]


def test_an_agent_disputes_and_a_supervisor_resolves_both_ways(filled):
    store, ids, users = filled
    call = ids["C02"]
    first = store.dispute(call, "name_use", "I said her name at the start", users["ana"].id)
    second = store.dispute(call, "asked_questions", "I asked what day works", users["ana"].id)
    assert [e.id for e in store.call_detail(call).open_disputes] == [first, second]
    store.resolve_dispute(first, users["sam"].id, "name used at 0:01", verdict=PASS)
    store.resolve_dispute(second, users["sam"].id, "the machine was right")
    detail = store.call_detail(call)
    assert detail.open_disputes == ()
    assert detail.effective_verdict("name_use") == PASS
    assert detail.latest_override("name_use").comment == "name used at 0:01"
    assert [(e.kind, e.criterion_id, e.verdict) for e in detail.history] == [
        ("disputed", "name_use", FAIL), ("disputed", "asked_questions", PASS),
        ("overruled", "name_use", PASS), ("upheld", "asked_questions", PASS),
    ]
    with pytest.raises(ValueError, match="already resolved"):
        store.resolve_dispute(first, users["sam"].id, "again")
    store.record_review(ids["C01"], "acknowledged", users["ana"].id)
    assert store.review_counts("agent-anna") == {"acknowledged": 1, "disputed": 2, "open": 0, "upheld": 1,
                                                 "overruled": 1}


@pytest.mark.parametrize(("criterion", "comment", "error"), [
    ("no_such_criterion", "why", LookupError), ("name_use", " ", ValueError)])
def test_a_bad_dispute_is_refused(filled, criterion, comment, error):
    store, ids, users = filled
    with pytest.raises(error):
        store.dispute(ids["C01"], criterion, comment, users["ana"].id)


def test_the_queue_puts_disputes_then_serious_errors_then_unsure_verdicts_first(filled, corpus):
    store, ids, users = filled
    sam = users["sam"].id
    # C01 (all pass, newest-but-one of anna) gets one unsure verdict; C04 fails said_goodbye,
    # which this rubric marks serious; C02 is disputed; C03 is already reviewed.
    save(store, *card_of(corpus["C01"], confidence={"asked_questions": 0.4}))
    card, when = card_of(corpus["C04"])
    card = replace(card, criteria=tuple(replace(c, serious_error="not saying goodbye" if c.id == "said_goodbye" else "")
                                        for c in card.criteria))
    save(store, card, when)
    store.dispute(ids["C02"], "name_use", "I used her name", users["ana"].id)
    store.record_review(ids["C03"], "reviewed", sam)
    queue = store.review_queue(weekly_target=0, low_confidence=0.6)
    assert [(i.call_label, i.open_disputes, i.serious_errors, i.low_confidence) for i in queue] == [
        ("C02", 1, 0, 0), ("C04", 0, 1, 0), ("C01", 0, 0, 1)]


def test_cards_that_flag_verdicts_for_review_come_first_in_the_queue(filled, corpus):
    store, ids, users = filled
    store.dispute(ids["C02"], "name_use", "I used her name", users["ana"].id)
    # The card JSON's needs_review list (the confidence stage's, docs/scorecard.md), as `import` saves it.
    data = json.loads(corpus["C04"].read_text()) | {"needs_review": ["asked_questions"]}
    store.save_scorecard(scorecard_from_dict(data), content_hash(data["recording"]), data["recording"],
                         call_time=data["call_time"], card_json=data)
    # A card without the list: criteria marked "needs_review": true give it.
    data = json.loads(corpus["C03"].read_text())
    data["criteria"][1]["needs_review"] = True
    store.save_scorecard(scorecard_from_dict(data), content_hash(data["recording"]), data["recording"],
                         call_time=data["call_time"], card_json=data)
    queue = store.review_queue(weekly_target=0, low_confidence=0.0)
    assert [(i.call_label, i.needs_review, i.open_disputes) for i in queue] == [
        ("C04", ("asked_questions",), 0), ("C03", ("name_use",), 0), ("C02", (), 1), ("C01", (), 0)]
    assert store.call_detail(ids["C04"]).needs_review == ("asked_questions",)


def test_the_weekly_target_puts_agents_below_it_first(filled):
    store, ids, users = filled
    sam = users["sam"].id
    store.record_review(ids["C01"], "reviewed", sam)  # anna: one reviewed this week; ben: none
    with_target = store.review_queue(weekly_target=1, low_confidence=0.0)
    assert [(i.call_label, i.below_target) for i in with_target] == [("C04", 1), ("C03", 1), ("C02", 0)]
    without = store.review_queue(weekly_target=0, low_confidence=0.0)
    assert [i.call_label for i in without] == ["C04", "C03", "C02"]
    store.record_review(ids["C02"], "reviewed", sam)
    assert [i.call_label for i in store.review_queue(weekly_target=2, low_confidence=0.0)] == ["C04", "C03"]


def test_roster_names_show_in_the_app_and_search_finds_them(filled, tmp_path):
    from click.testing import CliRunner

    from qa_pipeline.cli import main
    from qa_pipeline.web.app import create_app

    from _web_helpers import client_for

    store, _, _ = filled
    roster = tmp_path / "agents.csv"
    roster.write_text("agent_id,name,aliases\nagent-anna,Anna Lee,\nagent-zoe,Zoe,\n")
    url = str(store.engine.url)
    done = CliRunner().invoke(main, ["db", "roster", str(roster), "--db", url])
    assert done.exit_code == 0 and "2 agent names stored" in done.output
    assert store.agent_names() == {"agent-anna": "Anna Lee", "agent-zoe": "Zoe"}
    assert found(store, text="lee") == ["C02", "C01"]
    app = create_app(url)
    try:
        page = client_for(app, "sam").get("/calls").text
        assert "Anna Lee (agent-anna)" in page and ">agent-ben<" in page
    finally:
        app.state.store.close()


def test_the_matching_line_is_escaped_and_marks_the_searched_words():
    from qa_pipeline.web.formatting import highlight

    marked = highlight("I was <b>charged</b> twice & a bit", "charging a")
    assert str(marked) == "I was &lt;b&gt;<mark>charged</mark>&lt;/b&gt; twice &amp; <mark>a</mark> bit"


def test_agreement_counts_reviewed_calls_as_agreement_and_overrides_as_changes(filled):
    store, ids, users = filled
    sam = users["sam"].id
    store.record_review(ids["C01"], "reviewed", sam)  # all five machine verdicts stood
    store.add_override(ids["C02"], "name_use", PASS, "name at 0:01", sam)  # machine said fail
    store.add_override(ids["C03"], "asked_questions", FAIL, "checked", sam)  # same as the machine
    found = store.agreement()
    name_use = found["name_use"]
    assert name_use.confusion == (("pass", "pass", 1), ("fail", "pass", 1))
    assert name_use.kappa == 0.0  # the supervisor always says pass: no agreement beyond chance
    assert [(m.month, m.judged, m.agreed) for m in name_use.months] == [("2026-11", 2, 1)]
    assert found["asked_questions"].confusion == (("pass", "pass", 1), ("fail", "fail", 1))
    assert found["asked_questions"].kappa == 1.0
    assert found["said_goodbye"].kappa is None  # pass × pass only
    assert "no_im_listening" in found and "self_introduction" in found and len(found) == 5


def test_the_calibration_page_shows_kappa_confusion_trend_and_the_alert_line(filled):
    import re

    from qa_pipeline.web.app import create_app

    from _web_helpers import client_for

    store, ids, users = filled
    store.record_review(ids["C01"], "reviewed", users["sam"].id)
    store.add_override(ids["C02"], "name_use", PASS, "name at 0:01", users["sam"].id)
    app = create_app(str(store.engine.url))
    try:
        html = client_for(app, "sam").get("/calibration").text
    finally:
        app.state.store.close()
    alerts = re.findall(r'<p class="warning alert" data-alert="(\w+)"', html)
    assert alerts == ["name_use"]  # 1 of 2 judged changed in 2026-11: 50% > 20%
    row = re.search(r'<tr data-criterion="name_use">.*?</tr>', html, re.S).group(0)
    assert 'class="num kappa">0.00<' in row and "fail × pass: 1" in row and "2026-11: 1/2" in row
