"""A recording scored while still being written, then scored complete, is one call in the store (issue 22).

The store keys calls by content hash, so the completed file (new bytes) used to add a second
call. The completed recording now replaces the snapshot stored from the same path under the
same call id (real SQLite store; the cards are built, not transcribed).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from qa_pipeline.records import AGENT, CUSTOMER, FAIL, Utterance
from qa_pipeline.store import open_store
from qa_pipeline.store.schema import Call, ScorecardRow

from _web_helpers import make_card

LINES = (
    Utterance(AGENT, 0.4, 3.0, "Thank you for calling Acme, this is Anna speaking."),
    Utterance(CUSTOMER, 3.4, 6.0, "Hi, my internet has been down since the morning."),
    Utterance(AGENT, 6.4, 9.0, "I am sorry to hear that, let me check your line."),
    Utterance(AGENT, 30.0, 33.0, "Is there anything else I can help you with? Goodbye."),
)
PATH = "/inbox/2026-11-02/C01.wav"


@pytest.fixture
def store(tmp_path):
    opened = open_store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    yield opened
    opened.close()


def snapshot_then_complete(store, path=PATH, call_id="C01", snapshot_time=None, complete_time=None):
    snapshot = make_card("C01", "agent-anna", PATH, LINES[:2], {"said_goodbye": FAIL})
    complete = make_card(call_id, "agent-anna", path, LINES, {})
    first = store.save_scorecard(snapshot, "a" * 64, PATH, call_time=snapshot_time)
    second = store.save_scorecard(complete, "b" * 64, path, call_time=complete_time)
    with store.transaction() as session:
        calls = session.execute(select(Call.content_sha256, Call.duration_s).order_by(Call.id)).all()
        cards = session.scalar(select(func.count()).select_from(ScorecardRow))
    return first, second, calls, cards


def test_the_completed_recording_replaces_its_snapshot(store):
    first, second, calls, cards = snapshot_then_complete(store, snapshot_time="2026-11-02T09:14:00",
                                                         complete_time="2026-11-02T09:14:00")
    assert calls == [("b" * 64, 33.6)] and cards == 1 and second == first
    detail = store.call_detail(second)
    assert detail is not None
    assert {c.id: c.verdict for c in detail.card.criteria}["said_goodbye"] == "pass"


@pytest.mark.parametrize("other", [
    {"path": "/inbox/2026-11-03/C01.wav"},  # another file
    {"call_id": "C02"},  # another call id at the same path
    {"snapshot_time": "2026-11-02T09:14:00", "complete_time": "2026-11-03T09:14:00"},  # the path reused a day later
])
def test_another_call_is_kept_as_its_own_record(store, other):
    _, _, calls, cards = snapshot_then_complete(store, **other)
    assert len(calls) == 2 and cards == 2


def test_a_shorter_recording_does_not_replace_a_longer_one(store):
    complete = make_card("C01", "agent-anna", PATH, LINES, {})
    store.save_scorecard(complete, "b" * 64, PATH)
    store.save_scorecard(make_card("C01", "agent-anna", PATH, LINES[:2], {}), "a" * 64, PATH)
    with store.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Call)) == 2
