"""Inbox scanning, identity planning and the processed-ledger, without Prefect."""

from __future__ import annotations

import json
from pathlib import Path

import fsspec
import pytest

from qa_pipeline.identity import content_hash, processing_key
from qa_pipeline.inbox import (
    Call,
    InboxFile,
    Plan,
    hash_inbox_file,
    identify,
    list_inbox,
    output_dir_for,
    plan_run,
)
from qa_pipeline.ledger import (
    QUARANTINED,
    SCORED,
    Ledger,
    current_quarantine,
    entry_for,
    pass_rate_rows,
    summarize,
    summary_markdown,
    write_atomic,
    write_quarantine,
)

RUBRIC, MODEL = "etiquette/1", "tiny.en"


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
def test_identify_rehashes_only_files_changed_since_the_ledger(change, rehashed):
    file = InboxFile("/in/C01.flac", "C01.flac", 10, "100.0")
    known = entry_for(Call(file, "f" * 64, "k"), SCORED)
    hashed = []
    current = InboxFile(**{**file.__dict__, **change})
    identify([current], [known], RUBRIC, MODEL, hasher=lambda f: hashed.append(f) or "e" * 64)
    assert len(hashed) == rehashed


@pytest.mark.parametrize(
    "status, retry, pending",
    [(None, False, True), (SCORED, False, False), (QUARANTINED, False, False), (QUARANTINED, True, True), (SCORED, True, False)],
)
def test_plan_run_schedules_only_calls_without_a_ledger_line(status, retry, pending):
    call = _call("C01.flac")
    ledger = {} if status is None else {call.key: entry_for(call, status)}
    plan = plan_run([call], ledger, retry_quarantined=retry)
    assert (plan.pending == (call,)) is pending
    assert (plan.already_done == (call,)) is not pending


def test_plan_run_scores_identical_content_once():
    first, copy = _call("day1/C01.flac"), _call("day2/copy.flac")
    plan = plan_run([first, copy], {})
    assert plan.pending == (first,)
    assert plan.duplicates == ((copy, "day1/C01.flac"),)


def test_plan_run_rescores_a_recording_whose_content_changed():
    old, new = _call("C01.flac", sha="a" * 64), _call("C01.flac", sha="b" * 64)
    plan = plan_run([new], {old.key: entry_for(old, SCORED)})
    assert plan.pending == (new,)


def test_output_dir_mirrors_the_inbox_layout(tmp_path):
    assert output_dir_for(tmp_path, _call("2026-11-02/anna/C01.flac")) == tmp_path / "2026-11-02" / "anna"
    assert output_dir_for(tmp_path, _call("C01.flac")) == tmp_path


def test_ledger_round_trips_entries(tmp_path):
    ledger = Ledger(tmp_path)
    entry = entry_for(_call("C01.flac"), SCORED, score=85.7, verdicts={"said_goodbye": "pass"}, outputs=("a.json",))
    ledger.append(entry)
    assert ledger.entries() == {entry.key: entry}


def test_ledger_keeps_the_latest_line_per_key(tmp_path):
    ledger = Ledger(tmp_path)
    call = _call("C01.flac")
    ledger.append(entry_for(call, QUARANTINED, reason="not a readable audio file"))
    ledger.append(entry_for(call, SCORED, score=50.0))
    assert ledger.entries()[call.key].status == SCORED


def test_ledger_survives_a_line_torn_by_a_kill(tmp_path):
    ledger = Ledger(tmp_path)
    done, torn, later = _call("C01.flac", "1" * 64), _call("C02.flac", "2" * 64), _call("C03.flac", "3" * 64)
    ledger.append(entry_for(done, SCORED, score=70.0))
    with open(ledger.path, "a") as fh:  # what a kill in the middle of a write leaves
        fh.write(json.dumps({"key": torn.key, "status": SCORED})[:25])
    assert set(ledger.entries()) == {done.key}
    ledger.repair()
    ledger.append(entry_for(later, SCORED, score=90.0))
    assert set(ledger.entries()) == {done.key, later.key}


def test_write_atomic_replaces_content_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "sub" / "C01.json"
    write_atomic(target, "old")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in target.parent.iterdir()] == ["C01.json"]


def test_quarantine_lists_only_current_bad_recordings_with_reasons(tmp_path):
    bad, good, gone = _call("bad.wav", "1" * 64), _call("good.wav", "2" * 64), _call("gone.wav", "3" * 64)
    ledger = {
        bad.key: entry_for(bad, QUARANTINED, reason="bad.wav: not a readable audio file"),
        good.key: entry_for(good, SCORED, score=80.0),
        gone.key: entry_for(gone, QUARANTINED, reason="deleted since"),
    }
    path = write_quarantine(tmp_path, current_quarantine([bad, good], ledger))
    document = json.loads(path.read_text())
    assert document["schema"] == "qa-pipeline.quarantine/1"
    assert [(r["recording"], r["reason"]) for r in document["recordings"]] == [
        ("bad.wav", "bad.wav: not a readable audio file")
    ]


def _scored(rel: str, score: float, verdicts: dict[str, str]):
    return entry_for(_call(rel, sha=rel.ljust(64, "0")), SCORED, score=score, verdicts=verdicts)


def test_summarize_counts_scores_failures_and_pass_rates():
    finished = [
        _scored("a.wav", 100.0, {"said_goodbye": "pass", "name_use": "pass"}),
        _scored("b.wav", 50.0, {"said_goodbye": "fail", "name_use": "not_applicable"}),
        entry_for(_call("c.wav", "c" * 64), QUARANTINED, reason="c.wav: file is empty (0 bytes)"),
    ]
    summary = summarize(finished, Plan(pending=(), already_done=(_call("d.wav"),)))
    assert (summary.scored, summary.skipped, summary.mean_score) == (2, 1, 75.0)
    assert summary.failed == (("c.wav", "c.wav: file is empty (0 bytes)"),)
    assert summary.pass_rates == {"said_goodbye": (1, 2), "name_use": (1, 1)}
    assert {r["criterion"]: r["pass_rate_pct"] for r in pass_rate_rows(summary)} == {"said_goodbye": 50.0, "name_use": 100.0}


def test_summary_of_an_empty_run_has_no_mean_score():
    summary = summarize([], Plan(pending=()))
    assert summary.mean_score is None
    assert "mean score: **n/a**" in summary_markdown(summary)


def test_summary_markdown_names_failed_calls_and_reasons():
    failed = entry_for(_call("bad.wav"), QUARANTINED, reason="bad.wav: not a readable audio file")
    text = summary_markdown(summarize([failed], Plan(pending=())))
    assert "calls failed: **1**" in text
    assert "| bad.wav | bad.wav: not a readable audio file |" in text
