"""Run planning and summaries (pure), and call claims in a real SQLite results store."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from qa_pipeline import runs as rn
from qa_pipeline.inbox import Call, InboxFile
from qa_pipeline.store import claims as cl
from qa_pipeline.store import open_store


def _call(n: int, sha: str | None = None, folder: str = "2026-11-30") -> Call:
    sha = sha or f"{n:064x}"
    inbox_file = InboxFile(f"/in/{folder}/c{n}.wav", f"{folder}/c{n}.wav", 1000 + n, f"stamp{n}")
    return Call(inbox_file, sha, f"{sha}:etiquette/1:tiny.en")


@pytest.fixture
def store(tmp_path):
    opened = open_store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    yield opened
    opened.close()


# ------------------------------------------------------------------------- planning


def test_plan_keeps_unfinished_calls_once_per_content():
    calls = [_call(1), _call(2), _call(3, sha=f"{1:064x}", folder="other"), _call(4)]
    plan = rn.plan_run(calls, finished={calls[1].key})
    assert [c.file.relpath for c in plan.pending] == ["2026-11-30/c1.wav", "2026-11-30/c4.wav"]
    assert plan.already_done == (calls[1],)
    assert plan.duplicates == ((calls[2], "2026-11-30/c1.wav"),)
    chunk_call = rn.cut_chunks(plan, 10)[0].calls[0]
    assert (chunk_call.call(), chunk_call.stem) == (calls[0], "c1")


@pytest.mark.parametrize(("count", "size", "sizes"),
                         [(0, 3, []), (1, 3, [1]), (7, 3, [3, 3, 1]), (6, 2, [2, 2, 2]), (5, 10, [5])])
def test_chunks_cover_every_pending_call_in_order(count, size, sizes):
    plan = rn.plan_run([_call(n) for n in range(count)], finished=set())
    chunks = rn.cut_chunks(plan, size)
    assert [len(c.calls) for c in chunks] == sizes
    assert [c.index for c in chunks] == list(range(1, len(sizes) + 1))
    assert [call.call() for chunk in chunks for call in chunk.calls] == list(plan.pending)


def test_a_chunk_size_below_one_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        rn.cut_chunks(rn.Plan(()), 0)


@pytest.mark.parametrize(("calls", "call_s", "hours", "rate", "workers"), [
    (20_000, 300, 8, 14.0, 15), (20_000, 300, 8, 7.0, 30), (100, 60, 1, 10.0, 1), (0, 300, 8, 14.0, 0)])
def test_workers_needed_rounds_up(calls, call_s, hours, rate, workers):
    assert rn.workers_needed(calls, call_s, hours, rate) == workers


# ------------------------------------------------------------------------- claims


def test_a_call_is_claimed_once_until_it_expires(store):
    call = _call(1)
    assert cl.claim(store, call, "w1/run-a", ttl_s=60)
    assert not cl.claim(store, call, "w2/run-b", ttl_s=60)
    assert cl.claim(store, call, "w2/run-b", ttl_s=60) is False
    row = cl.claims_for(store, [call.key])[call.key]
    assert (row.status, row.owner, row.attempts) == (cl.CLAIMED, "w1/run-a", 1)


def test_an_expired_claim_is_taken_over_and_the_old_owner_cannot_finish(store):
    call = _call(1)
    assert cl.claim(store, call, "w1/dead", ttl_s=0.05)
    time.sleep(0.1)
    assert cl.claim(store, call, "w2/live", ttl_s=60)
    assert not cl.finish(store, call.key, "w1/dead", cl.DONE, 80.0)
    assert cl.finish(store, call.key, "w2/live", cl.DONE, 85.7)
    row = cl.claims_for(store, [call.key])[call.key]
    assert (row.status, row.owner, row.attempts, row.score) == (cl.DONE, "w2/live", 2, 85.7)


def test_a_finished_call_is_never_claimed_again(store):
    call = _call(1)
    cl.claim(store, call, "w1/a", ttl_s=0.01)
    cl.finish(store, call.key, "w1/a", cl.DONE, 100.0)
    time.sleep(0.05)
    assert not cl.claim(store, call, "w2/b", ttl_s=60)
    assert not cl.claim(store, call, "w2/b", ttl_s=60, retry_quarantined=True)
    assert cl.finished_keys(store, [call.key, _call(2).key]) == {call.key}


def test_a_quarantined_call_is_retried_only_when_asked(store):
    call = _call(1)
    cl.claim(store, call, "w1/a")
    cl.finish(store, call.key, "w1/a", cl.QUARANTINED, reason="no speech detected")
    assert cl.finished_keys(store, [call.key]) == {call.key}
    assert cl.finished_keys(store, [call.key], retry_quarantined=True) == set()
    assert not cl.claim(store, call, "w2/b")
    assert cl.claim(store, call, "w2/b", retry_quarantined=True)


def test_released_claims_are_free_at_once(store):
    call = _call(1)
    cl.claim(store, call, "w1/a", ttl_s=3600)
    cl.release(store, call.key, "w1/a")
    assert cl.claim(store, call, "w2/b")


def test_finish_refuses_an_unknown_status(store):
    with pytest.raises(ValueError, match="status"):
        cl.finish(store, "k", "w", "scored")


def test_concurrent_workers_never_hold_the_same_call(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    open_store(url).close()
    calls = [_call(n) for n in range(40)]
    won: dict[str, list[str]] = {}
    lock = threading.Lock()

    def worker(name: str) -> None:
        own = open_store(url)
        try:
            for call in calls:
                if cl.claim(own, call, name, ttl_s=60):
                    with lock:
                        won.setdefault(call.key, []).append(name)
        finally:
            own.close()

    threads = [threading.Thread(target=worker, args=(f"w{n}/run",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == sorted(c.key for c in calls)
    assert all(len(owners) == 1 for owners in won.values())


def test_known_files_let_a_rescan_reuse_hashes(store):
    from qa_pipeline.inbox import identify

    calls = [_call(1), _call(2)]
    for call in calls:
        cl.claim(store, call, "w/a")
    known = cl.known_files(store, [c.file.relpath for c in calls])

    def must_not_hash(file):
        raise AssertionError(f"{file.relpath} was hashed again")

    again = identify([c.file for c in calls], known, "etiquette/1", "tiny.en", hasher=must_not_hash)
    assert [c.content_sha256 for c in again] == [c.content_sha256 for c in calls]


def test_summary_counts_the_night_from_its_claims(store):
    calls = [_call(n) for n in range(5)]
    plan = rn.plan_run(calls, finished=set())
    chunks = rn.cut_chunks(plan, 2)
    for call, owner in zip(calls[:4], ["w1/a", "w1/a", "w2/b", "w2/b"]):
        cl.claim(store, call, owner)
    cl.finish(store, calls[0].key, "w1/a", cl.DONE, 80.0)
    cl.finish(store, calls[1].key, "w1/a", cl.DONE, 100.0)
    cl.finish(store, calls[2].key, "w2/b", cl.QUARANTINED, reason="no speech detected")
    claims = cl.claims_for(store, [c.key for c in calls])
    summary = rn.summarize(plan, claims, {"said_goodbye": (1, 2)}, chunks, ["Completed", "Crashed", "Completed"])
    assert (summary.scored, summary.quarantined, summary.unfinished, summary.mean_score) == (
        2, (("2026-11-30/c2.wav", "no speech detected"),), 2, 90.0)
    assert [(c.workers, c.scored, c.quarantined, c.unfinished) for c in summary.chunks] == [
        ("w1", 2, 0, 0), ("w2", 0, 1, 1), ("", 0, 0, 1)]
    text = rn.summary_markdown(summary, "Nightly scoring: /in")
    assert "| 2 | 2 | Crashed | w2 | 0 | 1 | 1 |" in text
    assert "| 2026-11-30/c2.wav | no speech detected |" in text and "| said_goodbye | 1 | 2 | 50.0% |" in text


def test_summary_of_a_run_on_one_machine_has_no_chunks_and_counts_what_was_done_before(store):
    calls = [_call(n) for n in range(3)]
    cl.claim(store, calls[0], "host/run-1")
    cl.finish(store, calls[0].key, "host/run-1", cl.DONE, 70.0)
    plan = rn.plan_run(calls, cl.finished_keys(store, [c.key for c in calls]))
    cl.claim(store, calls[1], "host/run-2")
    cl.finish(store, calls[1].key, "host/run-2", cl.DONE, 90.0)
    rates = {"said_goodbye": (1, 2), "name_use": (0, 0)}
    summary = rn.summarize(plan, cl.claims_for(store, [c.key for c in plan.pending]), rates)
    assert (summary.to_score, summary.scored, summary.already_done, summary.unfinished) == (2, 1, 1, 1)
    assert (summary.mean_score, summary.chunks) == (90.0, ())
    assert {r["criterion"]: r["pass_rate_pct"] for r in rn.pass_rate_rows(summary)} == {
        "said_goodbye": 50.0, "name_use": None}
    text = rn.summary_markdown(summary)
    assert "- scored: **1**" in text and "already done before: 1" in text and "## Chunks" not in text
    assert "| name_use | 0 | 0 | n/a |" in text


def test_summary_of_an_empty_run_has_no_mean_score():
    summary = rn.summarize(rn.Plan(()), {}, {})
    assert summary.mean_score is None
    assert "mean score: **n/a**" in rn.summary_markdown(summary)


def test_pass_rates_from_the_store_match_those_counted_from_the_cards(store):
    """The fan-out flow counts pass rates from the store, the single-machine flow from its cards."""
    from _scoring_helpers import dialogue
    from _web_helpers import make_card

    lines = dialogue("A: hello this is anna", "C: hi", "A: goodbye").utterances
    cards = [make_card("C1", "agent-anna", "c1.wav", lines, {"name_use": "fail"}),
             make_card("C2", "agent-anna", "c2.wav", lines, {"name_use": "fail", "said_goodbye": "fail"})]
    for n, card in enumerate(cards):
        store.save_scorecard(card, f"{n:064x}", card.recording)
    counted = cl.pass_rates(store, [f"{n:064x}" for n in range(2)], "etiquette/1")
    assert counted == rn.pass_rate_counts(cards)
    assert (counted["name_use"], counted["said_goodbye"], counted["self_introduction"]) == ((0, 2), (1, 2), (2, 2))


def test_claim_expiry_uses_the_time_to_live(store):
    call = _call(1)
    cl.claim(store, call, "w/a", ttl_s=120)
    row = cl.claims_for(store, [call.key])[call.key]
    assert timedelta(seconds=119) < row.expires_at - row.claimed_at <= timedelta(seconds=120)


def test_a_faulty_inbox_entry_travels_to_its_chunk_with_its_reason():
    broken = Call(InboxFile("/in/x.wav", "x.wav", 0, ""), "", "unreadable:x.wav:etiquette/1:tiny.en",
                  "broken link (its target does not exist)")
    chunk = rn.cut_chunks(rn.plan_run([_call(1), broken], finished=set()), 5)[0]
    assert [c.call().fault for c in chunk.calls] == ["", "broken link (its target does not exist)"]
