"""The Prefect flow over a real inbox: real audio, real Whisper, real SQLite store.

One Prefect test server serves the whole module. The interrupted-run test runs the flow
as a plain script in a subprocess on Prefect's embedded server and kills it with SIGKILL.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import fsspec
import pytest
from prefect.testing.utilities import prefect_test_harness

from qa_pipeline.contract import SCORECARD_SCHEMA, scorecard_from_dict
from qa_pipeline.errors import RecordingError
from qa_pipeline.inbox import identify, list_inbox
from qa_pipeline.run_state import RUN_STATE_NAME, open_run_state
from qa_pipeline.store import claims as cl

ROOT = Path(__file__).resolve().parent.parent
FLOW_SCRIPT = ROOT / "flows" / "score_calls.py"
CLIPS = ROOT / "tests" / "data" / "asr"
# Nested by day, as a call centre's export drops them; one file is not audio at all.
INBOX_LAYOUT = {
    "2026-11-02/two_speakers.flac": CLIPS / "two_speakers.flac",
    "2026-11-03/interruption.flac": CLIPS / "interruption.flac",
}
CORRUPT = "2026-11-03/corrupt.wav"


def _load_flow_module():
    spec = importlib.util.spec_from_file_location("score_calls_flow", FLOW_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


flows = _load_flow_module()


@pytest.fixture(scope="session", autouse=True)
def prefect_server():
    # A busy 2-core machine can take longer than Prefect's 30 s default to start the server.
    with prefect_test_harness(server_startup_timeout=180):
        yield


def _make_inbox(folder: Path, corrupt: bool = True) -> Path:
    for rel, source in INBOX_LAYOUT.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, folder / rel)
    if corrupt:
        (folder / CORRUPT).write_bytes(b"RIFF\x00\x00not really a wave file" * 50)
    return folder


def _snapshot(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _store_rows(url: str) -> int:
    from sqlalchemy import text

    from qa_pipeline.store import open_store

    store = open_store(url)
    try:
        with store.engine.connect() as conn:
            return conn.execute(text("select count(*) from scorecards")).scalar_one()
    finally:
        store.close()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The flow run twice over the same inbox; the Whisper model load counter reset first."""
    from qa_pipeline.speech import asr

    base = tmp_path_factory.mktemp("flow")
    inbox, out = _make_inbox(base / "inbox"), base / "out"
    store = f"sqlite:///{base / 'store.sqlite'}"
    asr._load_model.cache_clear()
    first = flows.score_calls(str(inbox), str(out), workers=2, store=store, return_state=True)
    loads = asr._load_model.cache_info()
    after_first = _snapshot(out)
    second = flows.score_calls(str(inbox), str(out), workers=2, store=store)
    return {
        "inbox": inbox, "out": out, "store": store, "first_state": first, "first": first.result(),
        "loads": loads, "after_first": after_first, "second": second,
    }


@pytest.mark.asr
def test_run_scores_each_call_into_a_contract_scorecard(runs):
    out = runs["out"]
    assert runs["first"].scored == 2
    for rel in INBOX_LAYOUT:
        card = json.loads((out / rel).with_suffix(".json").read_text())
        assert card["schema"] == SCORECARD_SCHEMA
        assert scorecard_from_dict(card).recording == str(runs["inbox"] / rel)
        assert (out / rel).with_suffix(".html").is_file()
    assert json.loads((out / "redaction_report.json").read_text())["calls"] == 2


@pytest.mark.asr
def test_run_quarantines_a_corrupt_recording_with_its_reason(runs):
    assert [rec for rec, _ in runs["first"].quarantined] == [CORRUPT]
    quarantine = json.loads((runs["out"] / "quarantine.json").read_text())
    assert [(r["recording"], r["reason"]) for r in quarantine["recordings"]] == list(runs["first"].quarantined)
    assert "not a readable audio file" in quarantine["recordings"][0]["reason"]
    assert runs["first_state"].is_completed()


@pytest.mark.asr
def test_run_loads_the_whisper_model_once_for_all_workers(runs):
    assert (runs["loads"].misses, runs["loads"].currsize) == (1, 1)


@pytest.mark.asr
def test_run_saves_each_scored_call_in_the_results_store_once(runs):
    assert _store_rows(runs["store"]) == 2


@pytest.mark.asr
def test_run_keeps_its_state_in_the_claims_of_the_results_store(runs):
    claims = _claims(runs["store"])
    assert sorted((c.relpath, c.status) for c in claims) == [
        ("2026-11-02/two_speakers.flac", cl.DONE), (CORRUPT, cl.QUARANTINED), ("2026-11-03/interruption.flac", cl.DONE)]
    assert all(c.attempts == 1 for c in claims)  # the re-run claimed nothing
    assert not (runs["out"] / RUN_STATE_NAME).exists() and not (runs["out"] / "ledger.jsonl").exists()


@pytest.mark.asr
def test_rerun_over_the_same_inbox_does_no_work(runs):
    second = runs["second"]
    assert (second.to_score, second.scored, second.quarantined, second.already_done) == (0, 0, (), 3)
    assert _snapshot(runs["out"]) == runs["after_first"]


@pytest.mark.asr
def test_run_publishes_a_summary_artifact(runs):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    run_id = runs["first_state"].state_details.flow_run_id
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id])))
    by_key = {a.key: a for a in artifacts}
    markdown = by_key["score-calls-summary"].data
    assert "scored: **2**" in markdown and "quarantined: **1**" in markdown
    assert f"| {CORRUPT} | " in markdown
    rows = by_key["criterion-pass-rates"].data
    assert "said_goodbye" in str(rows)


def _claims(url: str) -> list:
    """Every claim row of a store (read with its own connection)."""
    from qa_pipeline.store import open_store

    store = open_store(url)
    try:
        return list(cl.claims_for(store, _all_keys(store)).values())
    finally:
        store.close()


def _all_keys(store) -> list[str]:
    from sqlalchemy import select

    from qa_pipeline.store.schema import ClaimRow

    with store.transaction() as session:
        return list(session.scalars(select(ClaimRow.key)))


def _done_in(state_file: Path) -> int:
    """Calls done in a run state the flow is writing, read without migrating it (0 until it exists)."""
    import sqlite3

    if not state_file.is_file():
        return 0
    try:  # a plain connection: a read-only one cannot always read a WAL database another process writes
        with closing(sqlite3.connect(state_file, timeout=1)) as conn:
            return conn.execute("select count(*) from claims where status = 'done'").fetchone()[0]
    except sqlite3.Error:  # created, but its tables not yet
        return 0


@pytest.mark.asr
def test_run_killed_halfway_is_finished_by_the_next_run_without_duplicates(tmp_path):
    inbox, out = _make_inbox(tmp_path / "inbox", corrupt=False), tmp_path / "out"
    # No server configured: the script starts Prefect's embedded one, as a user's would.
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"} | {"PREFECT_HOME": str(tmp_path / "ph")}
    # Without a results store the run state is OUT/.run-state.sqlite; claims of a run killed
    # outright block their call for --claim-ttl seconds (here 5).
    cmd = [sys.executable, str(FLOW_SCRIPT), str(inbox), "--out", str(out), "--workers", "1", "--no-db",
           "--claim-ttl", "5"]
    log = open(tmp_path / "run.log", "wb")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while not _done_in(out / RUN_STATE_NAME) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the run and the embedded server it started
        proc.wait()
        log.close()
    state_url = f"sqlite:///{out / RUN_STATE_NAME}"
    before = {c.relpath: c for c in _claims(state_url)}
    assert [c.status for c in before.values()].count(cl.DONE) == 1, (tmp_path / "run.log").read_text()[-3000:]
    time.sleep(5.5)  # a claim the killed run still held has expired

    resumed = flows.score_calls(str(inbox), str(out), workers=1, store="none")

    assert (resumed.scored, resumed.already_done, resumed.unfinished) == (1, 1, 0)
    after = {c.relpath: c for c in _claims(state_url)}
    assert sorted(after) == sorted(INBOX_LAYOUT) and {c.status for c in after.values()} == {cl.DONE}
    for rel, claim in after.items():  # a call the killed run held was taken over, not redone twice
        assert claim.attempts == (2 if before.get(rel) and before[rel].status == cl.CLAIMED else 1)
    for rel in INBOX_LAYOUT:
        assert json.loads((out / rel).with_suffix(".json").read_text())["schema"] == SCORECARD_SCHEMA
    assert not list(out.rglob("*.tmp"))


@pytest.mark.asr
def test_a_default_store_that_does_not_open_leaves_the_run_state_in_the_out_folder(tmp_path, monkeypatch):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    (inbox / "day").mkdir(parents=True)
    (inbox / "day" / "corrupt.wav").write_bytes(b"RIFF\x00\x00not really a wave file" * 50)
    monkeypatch.setenv("QA_PIPELINE_DB", "sqlite:////proc/no-such-folder/store.sqlite")  # cannot be created

    summary = flows.score_calls(str(inbox), str(out), workers=1)

    assert [path for path, _ in summary.quarantined] == ["day/corrupt.wav"]
    claims = _claims(f"sqlite:///{out / RUN_STATE_NAME}")
    assert [(c.relpath, c.status) for c in claims] == [("day/corrupt.wav", cl.QUARANTINED)]


# ---------------------------------------------------------------- task logic, without a run


def test_find_new_recordings_plans_only_unfinished_calls(tmp_path):
    inbox, out = _make_inbox(tmp_path / "inbox"), tmp_path / "out"
    calls = identify(list_inbox(str(inbox)), [], "etiquette/1", "tiny.en")
    state = open_run_state(out)
    try:
        cl.claim(state, calls[0], "host/run")
        cl.finish(state, calls[0].key, "host/run", cl.DONE, 90.0)
        plan = flows.find_new_recordings.fn(str(inbox), str(out), state, "etiquette/1", "tiny.en", False)
    finally:
        state.close()
    assert [c.file.relpath for c in plan.pending] == [c.file.relpath for c in calls[1:]]


def test_fetch_copies_a_remote_recording_with_its_metadata(tmp_path):
    fs = fsspec.filesystem("memory")
    fs.pipe({"/flow-inbox/day1/R1.wav": b"remote audio", "/flow-inbox/day1/metadata.csv": b"file,agent_id\nR1.wav,agent-sam\n"})
    call = identify(list_inbox("memory://flow-inbox"), [], "etiquette/1", "tiny.en")[0]
    local = flows.fetch.fn(call, str(tmp_path))
    assert local.read_bytes() == b"remote audio"
    assert (local.parent / "metadata.csv").is_file()


def test_finish_records_a_quarantined_call_with_its_redacted_reason(tmp_path):
    inbox = _make_inbox(tmp_path / "inbox")
    call = identify(list_inbox(str(inbox)), [], "etiquette/1", "tiny.en")[0]
    state = open_run_state(tmp_path / "out")
    try:
        cl.claim(state, call, "host/run")
        pipeline = flows.run_pipeline("etiquette", None, "auto", 1, "email", None, False, None)
        run = flows.RunSettings(str(tmp_path / "out"), pipeline, None, {})
        reason = "file is empty (0 bytes); mail anna@example.com"
        flows.finish.fn(state, flows.Outcome(call, cl.QUARANTINED, reason=reason), "host/run", run)
        row = cl.claims_for(state, [call.key])[call.key]
    finally:
        state.close()
    assert row.status == cl.QUARANTINED
    assert row.reason.startswith("file is empty (0 bytes)") and "anna@example.com" not in row.reason


class _State:
    def __init__(self, exc):
        self.exc = exc

    def result(self, raise_on_failure=True):
        return self.exc


@pytest.mark.parametrize(
    "exc, retried",
    [
        (OSError("connection reset"), True),
        (TimeoutError("read timed out"), True),
        (FileNotFoundError("gone"), False),
        (RecordingError("a.wav", "not a readable audio file"), False),
    ],
)
def test_io_tasks_retry_only_transient_errors(exc, retried):
    assert flows._transient(None, None, _State(exc)) is retried


def test_script_help_names_its_options(capsys):
    with pytest.raises(SystemExit) as exit_info:
        flows.main(["--help"])
    assert exit_info.value.code == 0
    shown = capsys.readouterr().out
    assert all(option in shown for option in ("--out", "--workers", "--no-db", "--serve", "--asr-time-limit-s")), shown


@pytest.mark.parametrize(("bad", "expected"), [*((b, "a positive number") for b in ("0", "-3", "nan", "inf")),
                                              ("soon", "a number")])
def test_script_refuses_a_time_limit_that_is_not_positive_seconds(tmp_path, capsys, bad, expected):
    with pytest.raises(SystemExit) as exit_info:
        flows.main([str(tmp_path), "--out", str(tmp_path / "out"), "--no-db", "--asr-time-limit-s", bad])
    assert exit_info.value.code == 2
    assert f"expected {expected} of seconds, got {bad!r}" in capsys.readouterr().err  # as the commands say it


def test_the_time_limit_reaches_the_runs_asr_options():
    assert flows.run_asr_options(None, "auto", 1, 45.0).time_limit_s == 45.0
    assert flows.run_asr_options(None).time_limit_s is None


@pytest.mark.asr
def test_the_script_scores_calls_in_the_language_it_is_given(tmp_path, root, capsys):
    """`--language ja` (a site whose calls are Japanese and whose folders have no metadata.csv):
    the call is transcribed and scored in Japanese, as `qa-pipeline score --language ja` does."""
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    (inbox / "J01.flac").write_bytes((root / "sample_audio_ja" / "J01.flac").read_bytes())
    assert flows.main([str(inbox), "--out", str(out), "--no-db", "--settle-s", "0", "--language", "ja"]) == 0
    card = json.loads((out / "J01.json").read_text())
    assert card["language"] == "ja" and card["versions"]["asr_model"] == "base"
    assert any(re.search(r"[\u3040-\u30ff]", c["detail"]) for c in card["criteria"])  # details in Japanese


def test_script_reports_a_missing_inbox_in_one_line(tmp_path, capsys):
    status = flows.main([str(tmp_path / "nowhere"), "--out", str(tmp_path / "out"), "--no-db"])
    assert status == 2
    assert capsys.readouterr().err.strip() == f"error: {tmp_path / 'nowhere'}: inbox folder not found"


# ---------------------------------------------------------------- one pipeline for every entry point


def _comparable(card_json: Path) -> dict:
    """A scorecard as JSON, less what names the run rather than the call (time, recording path)."""
    card = json.loads(card_json.read_text())
    for key in ("scored_at", "recording"):
        card.pop(key, None)
    return card


@pytest.mark.asr
def test_the_cli_the_flow_and_evaluate_give_the_same_scorecard_with_a_roster_and_hotwords(root, tmp_path,
                                                                                        shipped_default):
    """C17's agent says "Olivia here", which base, the default model, hears only with her roster
    name as a hotword; all three entry points run the one pipeline, so all three hear it."""
    from click.testing import CliRunner

    from qa_pipeline.cli import main

    folder = tmp_path / "calls"
    folder.mkdir()
    shutil.copyfile(root / "sample_audio" / "C17.flac", folder / "C17.flac")
    (folder / "metadata.csv").write_text("file,call_id,agent_id,call_time\nC17.flac,C17,agent-olivia,2026-11-12T17:40:00\n")
    manifest = json.loads((root / "sample_audio" / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**manifest, "calls": [
        c for c in manifest["calls"] if c["file"] == "C17.flac"]}))
    roster = str(root / "sample_audio" / "agents.csv")
    site = ["--agents", roster, "--hotwords", "--workers", "1"]

    cli = CliRunner().invoke(main, ["score", str(folder), "--out", str(tmp_path / "cli"), "--no-db", *site])
    assert cli.exit_code == 0, cli.output
    evaluated = CliRunner().invoke(main, ["evaluate", str(folder), "--cards", str(tmp_path / "evaluate"), *site])
    assert evaluated.exit_code == 0, evaluated.output
    flows.score_calls(str(folder), str(tmp_path / "flow"), workers=1, store="none", agents=roster, hotwords=True)

    cards = {name: _comparable(tmp_path / name / "C17.json") for name in ("cli", "flow", "evaluate")}
    opening = next(u["text"] for u in cards["cli"]["transcript"] if u["speaker"] == "agent")
    assert "olivia" in opening.lower(), opening
    assert cards["flow"] == cards["cli"]
    assert cards["evaluate"] == cards["cli"]


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.mark.asr
def test_log_lines_name_a_recording_as_its_outputs_do(tmp_path):
    """A phone number in a file name stays out of the flow's log lines: a file left for the next
    run and a quarantined one are named by their public name, as quarantine.json names them."""
    from qa_pipeline.redaction import load_settings
    from qa_pipeline.redaction.filenames import public_path

    inbox, out = tmp_path / "inbox", tmp_path / "out"
    (inbox / "day").mkdir(parents=True)
    (inbox / "day" / "call_from_07700900123.wav").write_bytes(b"RIFF\x00\x00not really a wave file" * 50)
    lines = _Lines()
    flow_log = logging.getLogger("prefect.flow_runs")
    flow_log.addHandler(lines)
    try:
        waiting = flows.score_calls(str(inbox), str(out), workers=1, store="none", settle_s=3600)
        scored = flows.score_calls(str(inbox), str(out), workers=1, store="none", settle_s=0)
    finally:
        flow_log.removeHandler(lines)
    public = public_path("day/call_from_07700900123.wav", load_settings())
    assert (waiting.waiting, waiting.scored, len(scored.quarantined)) == (1, 0, 1)
    assert [rec for rec, _ in scored.quarantined] == [public]
    assert any(line.startswith(f"left for the next run: {public}: still being written") for line in lines.lines)
    assert any(line.startswith(f"[1/1] {public}: quarantined (not a readable audio file") for line in lines.lines)
    assert not [line for line in lines.lines if "07700900123" in line]
    quarantine = json.loads((out / "quarantine.json").read_text())
    assert [r["recording"] for r in quarantine["recordings"]] == [public]
