"""Inbox scanning, identity, run planning, quarantine.json, and old ledgers read once into claims, without Prefect."""

from __future__ import annotations

import json
from pathlib import Path

import fsspec
import pytest

from qa_pipeline.files import write_atomic
from qa_pipeline.identity import content_hash, processing_key
from qa_pipeline.inbox import (
    Call,
    InboxFile,
    hash_inbox_file,
    identify,
    list_inbox,
    output_dir_for,
)
from qa_pipeline.run_state import LEDGER_NAME, migrate_ledger, open_run_state, plan_inbox, write_quarantine
from qa_pipeline.runs import plan_run
from qa_pipeline.store import claims as cl

RUBRIC, MODEL = "etiquette/1", "tiny.en"


@pytest.fixture
def state(tmp_path: Path):
    """The run state a flow without a results store keeps: OUT/.run-state.sqlite."""
    opened = open_run_state(tmp_path / "out")
    yield opened
    opened.close()


def _finish(store, call: Call, status: str, score: float | None = None, reason: str = "") -> None:
    assert cl.claim(store, call, "host/run")
    assert cl.finish(store, call.key, "host/run", status, score, reason)


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    files = {
        "2026-11-02/anna/C01.flac": b"call one",
        "2026-11-02/anna/C02.WAV": b"call two",
        "2026-11-03/C03.mp3": b"call three",
        "2026-11-03/notes.txt": b"not audio",
        "2026-11-03/.C04.wav": b"hidden upload",
        ".trash/C05.wav": b"hidden folder",
    }
    for rel, data in files.items():
        path = tmp_path / "inbox" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return tmp_path / "inbox"


def _call(rel: str, sha: str = "a" * 64, size: int = 1, stamp: str = "1") -> Call:
    return Call(InboxFile(f"/in/{rel}", rel, size, stamp), sha, processing_key(sha, RUBRIC, MODEL))


def test_list_inbox_finds_audio_in_nested_folders_skipping_hidden(inbox):
    found = list_inbox(str(inbox))
    assert [f.relpath for f in found] == ["2026-11-02/anna/C01.flac", "2026-11-02/anna/C02.WAV", "2026-11-03/C03.mp3"]
    assert found[0].url == str(inbox / "2026-11-02/anna/C01.flac")
    assert found[0].size == len(b"call one")


def test_list_inbox_reads_a_file_url(inbox):
    found = list_inbox(f"file://{inbox}")
    assert [f.relpath for f in found][0] == "2026-11-02/anna/C01.flac"


def test_list_inbox_reads_a_remote_filesystem_through_fsspec():
    fs = fsspec.filesystem("memory")
    fs.pipe({"/qa-inbox/day1/R1.wav": b"remote one", "/qa-inbox/day1/R2.txt": b"x"})
    found = list_inbox("memory://qa-inbox")
    assert [f.relpath for f in found] == ["day1/R1.wav"]
    assert found[0].url.startswith("memory://")
    assert hash_inbox_file(found[0]) == __import__("hashlib").sha256(b"remote one").hexdigest()


def test_list_inbox_rejects_a_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="inbox folder not found"):
        list_inbox(str(tmp_path / "nowhere"))


def test_identify_hashes_new_files_with_the_shared_identity(inbox):
    calls = identify(list_inbox(str(inbox)), [], RUBRIC, MODEL)
    path = inbox / "2026-11-02/anna/C01.flac"
    assert calls[0].content_sha256 == content_hash(path)
    assert calls[0].key == processing_key(content_hash(path), RUBRIC, MODEL)


@pytest.mark.parametrize(
    "change, rehashed",
    [({}, 0), ({"size": 99}, 1), ({"stamp": "later"}, 1), ({"relpath": "moved/C01.flac"}, 1)],
)
def test_identify_rehashes_only_files_changed_since_they_were_claimed(state, change, rehashed):
    file = InboxFile("/in/C01.flac", "C01.flac", 10, "100.0")
    cl.claim(state, Call(file, "f" * 64, "k"), "host/run")
    hashed = []
    current = InboxFile(**{**file.__dict__, **change})
    identify([current], cl.known_files(state, [current.relpath]), RUBRIC, MODEL,
             hasher=lambda f: hashed.append(f) or "e" * 64)
    assert len(hashed) == rehashed


@pytest.mark.parametrize(
    "status, retry, pending",
    [(None, False, True), (cl.DONE, False, False), (cl.QUARANTINED, False, False), (cl.QUARANTINED, True, True),
     (cl.DONE, True, False), (cl.CLAIMED, False, True)],
)
def test_plan_run_schedules_only_calls_no_run_has_finished(state, status, retry, pending):
    call = _call("C01.flac")
    if status == cl.CLAIMED:
        cl.claim(state, call, "host/other-run")
    elif status is not None:
        _finish(state, call, status)
    plan = plan_run([call], cl.finished_keys(state, [call.key], retry_quarantined=retry))
    assert (plan.pending == (call,)) is pending
    assert (plan.already_done == (call,)) is not pending


def test_plan_run_scores_identical_content_once():
    first, copy = _call("day1/C01.flac"), _call("day2/copy.flac")
    plan = plan_run([first, copy], set())
    assert plan.pending == (first,)
    assert plan.duplicates == ((copy, "day1/C01.flac"),)


def test_plan_run_rescores_a_recording_whose_content_changed():
    old, new = _call("C01.flac", sha="a" * 64), _call("C01.flac", sha="b" * 64)
    plan = plan_run([new], {old.key})
    assert plan.pending == (new,)


def test_plan_run_names_outputs_over_the_whole_inbox():
    done, new = _call("C01.wav", sha="a" * 64), _call("C01.mp3", sha="b" * 64)
    plan = plan_run([done, new], {done.key})
    assert plan.pending == (new,)
    assert plan.stems["C01.mp3"] != plan.stems["C01.wav"]


def test_output_dir_mirrors_the_inbox_layout(tmp_path):
    assert output_dir_for(tmp_path, _call("2026-11-02/anna/C01.flac")) == tmp_path / "2026-11-02" / "anna"
    assert output_dir_for(tmp_path, _call("C01.flac")) == tmp_path


def test_write_atomic_replaces_content_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "sub" / "C01.json"
    write_atomic(target, "old")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in target.parent.iterdir()] == ["C01.json"]


def test_quarantine_lists_only_current_bad_recordings_with_reasons(state, tmp_path):
    bad, good, gone = _call("bad.wav", "1" * 64), _call("good.wav", "2" * 64), _call("gone.wav", "3" * 64)
    _finish(state, bad, cl.QUARANTINED, reason="bad.wav: not a readable audio file")
    _finish(state, good, cl.DONE, 80.0)
    _finish(state, gone, cl.QUARANTINED, reason="deleted since")
    plan = plan_run([bad, good], cl.finished_keys(state, [bad.key, good.key]))
    path = write_quarantine(tmp_path, plan, cl.claims_for(state, [bad.key, good.key]))
    document = json.loads(path.read_text())
    assert document["schema"] == "qa-pipeline.quarantine/1"
    assert [(r["recording"], r["reason"], r["key"]) for r in document["recordings"]] == [
        ("bad.wav", "bad.wav: not a readable audio file", bad.key)
    ]
    assert document["recordings"][0]["quarantined_at"].endswith("+00:00")



def test_quarantine_names_recordings_as_outputs_do(state, tmp_path):
    from qa_pipeline.redaction import load_settings
    from qa_pipeline.redaction.filenames import public_path

    bad = _call("calls/+1 415 555 0199.wav", "4" * 64)
    _finish(state, bad, cl.QUARANTINED, reason="calls/+1 415 555 0199.wav: not a readable audio file")
    plan = plan_run([bad], cl.finished_keys(state, [bad.key]))
    settings = load_settings()
    path = write_quarantine(tmp_path, plan, cl.claims_for(state, [bad.key]), lambda p: public_path(p, settings))
    text = path.read_text()
    assert "555" not in text and "0199" not in text
    row = json.loads(text)["recordings"][0]
    assert row["recording"] == public_path("calls/+1 415 555 0199.wav", settings)
    assert row["reason"].startswith(row["recording"] + ": ") and row["key"] == bad.key

# ---------------------------------------------------------------- old ledgers, read once


def _ledger_line(call: Call, status: str, **fields) -> str:
    """A line as the single-machine flow's OUT/ledger.jsonl held it before the claims."""
    f = call.file
    record = {"key": call.key, "content_sha256": call.content_sha256, "relpath": f.relpath, "size": f.size,
              "stamp": f.stamp, "status": status, "finished_at": "2026-11-02T03:04:05+00:00", "score": None,
              "verdicts": {}, "outputs": [], "reason": "", **fields}
    return json.dumps(record, sort_keys=True) + "\n"


def test_an_old_ledger_becomes_claims_once_and_is_renamed(state, tmp_path):
    out = tmp_path / "out"
    scored, bad, rescored = _call("C01.flac", "1" * 64), _call("C02.flac", "2" * 64), _call("C03.flac", "3" * 64)
    (out / LEDGER_NAME).write_text(
        _ledger_line(scored, "scored", score=85.7, verdicts={"said_goodbye": "pass"}, outputs=["C01.json"])
        + _ledger_line(bad, "quarantined", reason="not a readable audio file")
        + _ledger_line(rescored, "quarantined", reason="no speech detected")
        + _ledger_line(rescored, "scored", score=50.0)  # the latest line per key counts
        + json.dumps({"key": "torn", "status": "scored"})[:25]  # what a kill mid-write left
    )
    assert migrate_ledger(state, out) == 3
    assert not (out / LEDGER_NAME).exists() and (out / "ledger.jsonl.migrated").is_file()
    rows = cl.claims_for(state, [scored.key, bad.key, rescored.key, "torn"])
    assert {k: (r.status, r.score, r.reason) for k, r in rows.items()} == {
        scored.key: (cl.DONE, 85.7, ""),
        bad.key: (cl.QUARANTINED, None, "not a readable audio file"),
        rescored.key: (cl.DONE, 50.0, ""),
    }
    assert (rows[scored.key].relpath, rows[scored.key].size, rows[scored.key].stamp) == ("C01.flac", 1, "1")
    assert str(rows[scored.key].finished_at) == "2026-11-02 03:04:05"
    assert migrate_ledger(state, out) == 0  # read once: the file is gone


def test_a_migrated_ledger_keeps_newer_claims_and_no_call_is_redone(state, tmp_path, inbox):
    out = tmp_path / "out"
    calls = identify(list_inbox(str(inbox)), [], RUBRIC, MODEL)
    _finish(state, calls[0], cl.QUARANTINED, reason="newer: retried and quarantined")
    (out / LEDGER_NAME).write_text("".join(_ledger_line(c, "scored", score=70.0) for c in calls[:2]))

    def must_not_hash(file):
        raise AssertionError(f"{file.relpath} was hashed again")

    plan = plan_inbox(state, str(inbox), out, RUBRIC, MODEL)
    assert [c.file.relpath for c in plan.pending] == [calls[2].file.relpath]
    assert cl.claims_for(state, [calls[0].key])[calls[0].key].reason == "newer: retried and quarantined"
    # A rescan reuses the hashes the migrated lines carried: nothing done is read again.
    known = cl.known_files(state, [c.file.relpath for c in calls[:2]])
    identify([c.file for c in calls[:2]], known, RUBRIC, MODEL, hasher=must_not_hash)
