"""A corpus of 32 odd and hostile inputs, made at test time, through `score` and through the flow.

Every kind must end either in a scorecard whose warnings and verdicts are right, or in
an errors.json / quarantine.json entry with a clear reason; no traceback is printed and
the batch goes on. Both runs share one loaded Whisper model (tiny.en) in this process.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_pipeline.cli import main

from _hostile import Kind, make_inbox

ROOT = Path(__file__).resolve().parent.parent
MISSING = "never_there.wav"

pytestmark = pytest.mark.asr


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, dict[str, Kind]]:
    folder = tmp_path_factory.mktemp("hostile") / "inbox"
    return folder, make_inbox(folder)


def _card(out: Path, kind: Kind) -> dict | None:
    path = out / f"{Path(kind.name).stem}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _check_card(card: dict | None, kind: Kind) -> list[str]:
    """What is wrong with the scorecard written for `kind` (empty when all is right)."""
    if card is None:
        return [f"{kind.name}: no scorecard"]
    problems = []
    # Roles decided with low confidence from a few seconds of speech are not about the input.
    warnings = [w for w in card["warnings"] if "with low confidence" not in w and "points weakly" not in w]
    joined = " | ".join(warnings)
    problems += [f"{kind.name}: no warning with {w!r} in {joined!r}" for w in kind.warnings if w not in joined]
    if not kind.warnings and warnings:
        problems.append(f"{kind.name}: unexpected warnings {warnings}")
    verdicts = {c["id"]: c["verdict"] for c in card["criteria"]}
    problems += [f"{kind.name}: {cid} is {verdicts.get(cid)}, expected {v}" for cid, v in kind.verdicts.items()
                 if verdicts.get(cid) != v]
    heard = " ".join(u["text"] for u in card["transcript"]).lower()
    problems += [f"{kind.name}: echo {w!r} taken for speech" for w in kind.not_heard if w in heard]
    return problems


def _check_reason(reasons: dict[str, str], kind: Kind, out: Path) -> list[str]:
    reason = reasons.get(kind.name)
    if reason is None:
        return [f"{kind.name}: no error entry"]
    problems = [] if kind.reason_ok(reason) else [f"{kind.name}: reason {reason!r}, expected {kind.error!r}"]
    if _card(out, kind) is not None:
        problems.append(f"{kind.name}: a scorecard was written although it failed")
    return problems


def test_score_command_gives_every_hostile_input_a_card_or_a_reason(corpus, tmp_path, capfd):
    folder, made = corpus
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["score", str(folder), str(folder / MISSING), "--out", str(out), "--no-db"])
    captured = capfd.readouterr()
    printed = result.output + captured.out + captured.err

    assert result.exit_code == 0, printed
    assert "Traceback" not in printed
    errors = {Path(e["recording"]).name: e["reason"] for e in json.loads((out / "errors.json").read_text())}
    assert errors.pop(MISSING) == "file not found"
    problems = []
    for kind in made.values():
        problems += _check_card(_card(out, kind), kind) if kind.scored else _check_reason(errors, kind, out)
    assert not problems, "\n".join(problems)
    assert set(errors) == {k.name for k in made.values() if not k.scored}
    # One progress line per input, the missing one included: the batch went on past each.
    assert sum(line.startswith("[") for line in printed.splitlines()) == len(made) + 1


def _load_flow_module():
    spec = importlib.util.spec_from_file_location("score_calls_flow_hostile", ROOT / "flows" / "score_calls.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class _Kept(logging.Handler):
    """Keeps every record of the loggers the flow and the pipeline write to."""

    LOGGERS = ("prefect.flow_runs", "prefect.task_runs", "qa_pipeline")

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def __enter__(self) -> _Kept:
        for name in self.LOGGERS:
            logging.getLogger(name).addHandler(self)
        return self

    def __exit__(self, *exc) -> None:
        for name in self.LOGGERS:
            logging.getLogger(name).removeHandler(self)


def test_flow_scores_or_quarantines_every_hostile_input_one_by_one(corpus, tmp_path):
    from prefect.settings import temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    folder, made = corpus
    out = tmp_path / "flow-out"
    flows = _load_flow_module()
    # The embedded server's offline telemetry would log tracebacks of its own: off, as the flow's CLI has it.
    # (The test server's own log, e.g. a SQLite lock under load, is not the flow's and is not checked.)
    with temporary_settings(updates=flows._embedded_server_settings()), prefect_test_harness(server_startup_timeout=240):
        with _Kept() as kept:
            # One worker: with two, spaCy scoring two calls at once in threads can fail with
            # "[E084] ... not in StringStore" (a thread-safety fault outside this test's subject).
            state = flows.score_calls(str(folder), str(out), workers=1, store="none", return_state=True)
        summary = state.result()

    assert state.is_completed()
    tracebacks = [r.getMessage() for r in kept.records if r.exc_info or "Traceback" in r.getMessage()]
    assert not tracebacks
    reasons = {e["recording"]: e["reason"] for e in json.loads((out / "quarantine.json").read_text())["recordings"]}
    assert dict(summary.quarantined) == reasons
    lines = [r.getMessage() for r in kept.records]
    problems = []
    for kind in made.values():
        problems += _check_card(_card(out, kind), kind) if kind.scored else _check_reason(reasons, kind, out)
        said = [line for line in lines if f"{kind.name}: quarantined (" in line]
        if len(said) != (0 if kind.scored else 1):  # one log line per quarantined file, with its reason
            problems.append(f"{kind.name}: {len(said)} quarantine log lines")
    assert not problems, "\n".join(problems)
    assert summary.scored == sum(k.scored for k in made.values())


def test_a_file_that_vanishes_after_listing_is_quarantined_by_itself(corpus, tmp_path):
    from qa_pipeline.inbox import identify, list_inbox

    folder = tmp_path / "inbox"
    folder.mkdir()
    for name in ("stays.wav", "goes.wav"):
        (folder / name).write_bytes((corpus[0] / "clean_call.wav").read_bytes() + name.encode())
    listed = list_inbox(str(folder))
    (folder / "goes.wav").unlink()
    calls = {c.file.relpath: c for c in identify(listed, [], "etiquette/1", "tiny.en")}
    assert calls["goes.wav"].fault == "file not found (it disappeared after the inbox was listed)"
    assert calls["stays.wav"].fault == "" and calls["stays.wav"].content_sha256


def test_score_reports_a_file_that_vanished_after_discovery_and_scores_the_rest(corpus, tmp_path):
    from qa_pipeline.batch import discover_recordings, score_paths
    from qa_pipeline.pipeline import CallPipeline, PipelineSettings
    from qa_pipeline.rubric import load_rubric
    from qa_pipeline.speech.asr import AsrOptions

    folder = tmp_path / "calls"
    folder.mkdir()
    (folder / "stays.wav").write_bytes((corpus[0] / "customer_leg_silent.flac").read_bytes())
    (folder / "goes.wav").write_bytes((corpus[0] / "clean_call.wav").read_bytes())
    found = discover_recordings([folder])
    (folder / "goes.wav").unlink()
    result = score_paths(found, CallPipeline(PipelineSettings(load_rubric("etiquette"), AsrOptions())), tmp_path / "out")
    assert [s.recording.name for s in result.scored] == ["stays.wav"]
    assert [(Path(f.recording).name, f.reason) for f in result.failures] == [("goes.wav", "file not found")]


def _permissions_apply() -> bool:
    """False for root with its usual capabilities, which reads past file permissions."""
    import tempfile

    with tempfile.NamedTemporaryFile() as probe:
        os.chmod(probe.name, 0)
        try:
            open(probe.name, "rb").close()
        except PermissionError:
            return True
    return False


PERMISSIONS = pytest.mark.skipif(not _permissions_apply(), reason="this user reads files whatever their permissions")


@PERMISSIONS
def test_an_unreadable_file_is_reported_with_the_permission_error(tmp_path):
    from qa_pipeline.batch import score_paths
    from qa_pipeline.pipeline import CallPipeline, PipelineSettings
    from qa_pipeline.rubric import load_rubric
    from qa_pipeline.speech.asr import AsrOptions

    locked = tmp_path / "locked.wav"
    locked.write_bytes(b"RIFF")
    locked.chmod(0)
    result = score_paths([locked], CallPipeline(PipelineSettings(load_rubric("etiquette"), AsrOptions())))
    assert [f.reason for f in result.failures] == ["cannot be read (Permission denied)"]


@PERMISSIONS
def test_an_inbox_folder_that_cannot_be_read_is_quarantined_not_skipped(tmp_path):
    from qa_pipeline.inbox import identify, list_inbox

    (tmp_path / "locked").mkdir()
    (tmp_path / "locked").chmod(0)
    try:
        (call,) = identify(list_inbox(str(tmp_path)), [], "etiquette/1", "tiny.en")
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert (call.file.relpath, call.fault) == ("locked", "is a folder that cannot be read, so its recordings cannot be listed")
