"""`qa-pipeline score` end to end: real audio, real Whisper, real rubric, real results store."""

import csv
import json
import shutil

import pytest
from click.testing import CliRunner

from qa_pipeline.cli import main
from qa_pipeline.records import VERDICTS
from qa_pipeline.rubric import load_rubric

pytestmark = pytest.mark.asr

CALL = "two_speakers"  # an 18 s stereo dental-clinic call, agent on the left channel


@pytest.fixture(scope="module")
def run(root, tmp_path_factory):
    """Score one good call and one broken file from one folder, once for the whole module."""
    base = tmp_path_factory.mktemp("score")
    inbox, out = base / "inbox", base / "out"
    inbox.mkdir()
    shutil.copy(root / "tests" / "data" / "asr" / f"{CALL}.flac", inbox)
    (inbox / f"{CALL}.meta.json").write_text(json.dumps({"agent_id": "agent-daniel", "call_id": "D-17"}))
    (inbox / "broken.wav").write_bytes(b"this is not audio" * 100)
    result = CliRunner().invoke(
        main, ["score", str(inbox), "--out", str(out), "--db", f"sqlite:///{base / 'store.sqlite'}"]
    )
    return result, inbox, out


def card(out):
    return json.loads((out / f"{CALL}.json").read_text())


def test_run_succeeds_and_reports_progress(run):
    result, _, _ = run
    assert result.exit_code == 0, result.output
    assert "[1/2] broken.wav  error: not a readable audio file" in result.stderr
    assert f"[2/2] {CALL}.flac  score " in result.stderr
    assert "not saved to the results store" not in result.stderr


def test_writes_one_scorecard_per_good_recording(run):
    _, _, out = run
    assert {p.name for p in out.iterdir()} == {f"{CALL}.html", f"{CALL}.json", "errors.json", "summary.csv"}


def test_bad_file_lands_in_errors_json(run):
    _, inbox, out = run
    (error,) = json.loads((out / "errors.json").read_text())
    assert error["recording"] == str(inbox / "broken.wav")
    assert error["reason"].startswith("not a readable audio file")


def test_scorecard_header_fields(run):
    _, inbox, out = run
    data = card(out)
    assert data["schema"] == "qa-pipeline.scorecard/1"
    assert data["call_id"] == "D-17"
    assert data["recording"] == str(inbox / f"{CALL}.flac")
    assert data["agent_id"] == "agent-daniel"
    assert data["duration_s"] == pytest.approx(18.5, abs=0.1)
    assert data["channels"] == 2
    assert data["rubric"] == {"id": "etiquette", "version": "1"}
    assert data["versions"] == {"pipeline": "0.1.0", "asr_model": "tiny.en", "rubric": "etiquette/1"}
    assert data["warnings"] == []


def test_scorecard_criteria_follow_the_rubric(run):
    _, _, out = run
    criteria = card(out)["criteria"]
    assert [c["id"] for c in criteria] == [c.id for c in load_rubric("etiquette").criteria]
    for c in criteria:
        assert list(c) == ["id", "verdict", "weight", "confidence", "evidence", "detail"]
        assert c["verdict"] in VERDICTS and 0.0 <= c["confidence"] <= 1.0 and c["detail"]
        for e in c["evidence"]:
            assert e["speaker"] in ("agent", "customer") and 0.0 <= e["start"] <= e["end"] <= 18.6


def test_score_is_the_weighted_share_of_applicable_passes(run):
    _, _, out = run
    data = card(out)
    applicable = [c for c in data["criteria"] if c["verdict"] != "not_applicable"]
    passed = sum(c["weight"] for c in applicable if c["verdict"] == "pass")
    assert data["score"] == pytest.approx(round(100 * passed / sum(c["weight"] for c in applicable), 1))


@pytest.mark.parametrize(("criterion", "verdict", "quote"), [
    ("self_introduction", "pass", "Daniel"),
    ("said_goodbye", "pass", "goodbye"),
    ("no_interrupting", "pass", None),
    ("no_im_listening", "pass", None),
])
def test_scorecard_verdicts_on_this_call(run, criterion, verdict, quote):
    _, _, out = run
    (c,) = [c for c in card(out)["criteria"] if c["id"] == criterion]
    assert c["verdict"] == verdict
    if quote:
        assert any(quote.lower() in e["text"].lower() for e in c["evidence"])


def test_scorecard_metrics_and_transcript(run):
    _, _, out = run
    data = card(out)
    assert list(data["metrics"]) == ["interruptions", "agent_talk_s", "customer_talk_s", "silence_s",
                                     "agent_wpm", "agent_questions"]
    assert data["metrics"]["interruptions"] == 0
    assert data["metrics"]["agent_talk_s"] > data["metrics"]["customer_talk_s"] > 0
    assert [u["speaker"] for u in data["transcript"]] == ["agent", "customer", "agent", "customer", "agent"]
    assert "cleaning" in data["transcript"][1]["text"].lower()


def test_summary_csv_row(run):
    _, _, out = run
    (row,) = csv.DictReader((out / "summary.csv").open())
    data = card(out)
    assert (row["call_id"], row["agent_id"], row["score"]) == ("D-17", "agent-daniel", str(data["score"]))
    assert row["self_introduction"] == "pass"


def test_html_scorecard_highlights_the_introduction(run):
    _, _, out = run
    page = (out / f"{CALL}.html").read_text()
    assert '<mark class="ev-pass" title="self_introduction: pass">' in page
    assert '<a href="#t0">' in page and '<li id="t0" class="turn turn-agent turn-cited">' in page


def test_nothing_scored_exits_non_zero(tmp_path):
    (tmp_path / "broken.wav").write_bytes(b"junk" * 100)
    result = CliRunner().invoke(main, ["score", str(tmp_path), "--out", str(tmp_path / "out"), "--no-db"])
    assert result.exit_code == 1
    assert "Error: no recording could be scored" in result.stderr
    assert json.loads((tmp_path / "out" / "errors.json").read_text())[0]["recording"].endswith("broken.wav")
