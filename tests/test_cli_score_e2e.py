"""`qa-pipeline score` end to end: real audio, real Whisper, real rubric, real results store."""

import csv
import json
import re

import pytest
from click.testing import CliRunner

from qa_pipeline import __version__
from qa_pipeline.cli import main
from qa_pipeline.records import VERDICTS
from qa_pipeline.rubric import load_rubric

pytestmark = pytest.mark.asr

CALL = "C19"  # a 33 s florist call from the labelled sample corpus; metadata.csv lies beside it


@pytest.fixture(scope="module")
def labels(sample_audio_dir):
    manifest = json.loads((sample_audio_dir / "manifest.json").read_text())
    return next(c for c in manifest["calls"] if c["call_id"] == CALL)


@pytest.fixture(scope="module")
def run(sample_audio_dir, labels, tmp_path_factory):
    """Score one sample call and one broken file, once for the whole module."""
    base = tmp_path_factory.mktemp("score")
    recording, broken, out = sample_audio_dir / labels["file"], base / "broken.wav", base / "out"
    broken.write_bytes(b"this is not audio" * 100)
    result = CliRunner().invoke(
        main, ["score", str(recording), str(broken), "--out", str(out), "--db", f"sqlite:///{base / 'store.sqlite'}"]
    )
    return result, recording, broken, out


def card(out):
    return json.loads((out / f"{CALL}.json").read_text())


def test_run_succeeds_and_reports_progress(run):
    result, _, _, _ = run
    assert result.exit_code == 0, result.output
    assert f"[1/2] {CALL}.wav  score " in result.stderr
    assert "[2/2] broken.wav  error: not a readable audio file" in result.stderr
    assert "not saved to the results store" not in result.stderr


def test_writes_one_scorecard_per_good_recording(run):
    _, _, _, out = run
    assert {p.name for p in out.iterdir()} == {f"{CALL}.html", f"{CALL}.json", f"{CALL}.redacted.flac",
                                               "errors.json", "summary.csv", "redaction_report.json"}


def test_bad_file_lands_in_errors_json(run):
    _, _, broken, out = run
    (error,) = json.loads((out / "errors.json").read_text())
    assert error["recording"] == str(broken)
    assert error["reason"].startswith("not a readable audio file")


def test_scorecard_header_fields(run, labels):
    _, recording, _, out = run
    data = card(out)
    assert data["schema"] == "qa-pipeline.scorecard/1"
    assert data["call_id"] == CALL
    assert data["recording"] == str(recording)
    assert (data["agent_id"], data["call_time"]) == (labels["agent_id"], labels["call_time"])
    assert data["duration_s"] == pytest.approx(labels["duration_s"], abs=0.1)
    assert data["channels"] == 2
    assert data["rubric"] == {"id": "etiquette", "version": "2", "sha256": load_rubric("etiquette").sha256}
    assert data["versions"] == {"pipeline": __version__, "asr_model": "tiny.en", "rubric": "etiquette/2",
                                "redaction": "account,address,card,date_of_birth,email,phone"}
    # The only warning a clean call may carry: roles decided from what is said with low confidence.
    low = data["roles"]["confidence"] < 0.8
    assert data["warnings"] == (data["warnings"][:1] if low else [])
    assert all("low confidence" in w or "points weakly" in w for w in data["warnings"])


def test_scorecard_criteria_follow_the_rubric(run, labels):
    _, _, _, out = run
    criteria = card(out)["criteria"]
    assert [c["id"] for c in criteria] == [c.id for c in load_rubric("etiquette").criteria]
    for c in criteria:
        assert list(c) == ["id", "verdict", "weight", "confidence", "evidence", "detail", "title", "serious_error",
                           "failed_title", "needs_review"]
        assert c["verdict"] in VERDICTS and 0.0 <= c["confidence"] <= 1.0 and c["detail"]
        for e in c["evidence"]:
            assert e["speaker"] in ("agent", "customer") and 0.0 <= e["start"] <= e["end"] <= labels["duration_s"]


def test_score_is_the_weighted_share_of_applicable_passes(run):
    _, _, _, out = run
    data = card(out)
    applicable = [c for c in data["criteria"] if c["verdict"] != "not_applicable"]
    passed = sum(c["weight"] for c in applicable if c["verdict"] == "pass")
    assert data["score"] == pytest.approx(round(100 * passed / sum(c["weight"] for c in applicable), 1))


@pytest.mark.parametrize(("criterion", "quote"), [
    ("self_introduction", "Hannah"),
    ("name_use", "Eric"),
    ("no_im_listening", "I'm listening"),
    ("no_interrupting", None),
    ("asked_questions", "what color"),
    ("no_price_before_need", None),
    ("said_goodbye", "goodbye"),
])
def test_verdicts_match_the_labels_with_evidence(run, labels, criterion, quote):
    _, _, _, out = run
    (c,) = [c for c in card(out)["criteria"] if c["id"] == criterion]
    assert c["verdict"] == labels["expected"][criterion], c["detail"]
    if quote:
        assert any(quote.lower() in e["text"].lower() for e in c["evidence"])


def test_scorecard_metrics_and_transcript(run, labels):
    _, _, _, out = run
    data = card(out)
    assert list(data["metrics"]) == ["interruptions", "agent_talk_s", "customer_talk_s", "silence_s",
                                     "agent_wpm", "agent_questions"]
    assert data["metrics"]["interruptions"] == labels["interruptions"]
    assert data["metrics"]["agent_talk_s"] > data["metrics"]["customer_talk_s"] > 0
    speakers = [u["speaker"] for u in data["transcript"]]
    assert speakers[0] == "agent" and set(speakers) == {"agent", "customer"}
    assert "sunflowers" in " ".join(u["text"].lower() for u in data["transcript"])


def test_summary_csv_row(run, labels):
    _, _, _, out = run
    (row,) = csv.DictReader((out / "summary.csv").open())
    assert (row["call_id"], row["agent_id"], row["score"]) == (CALL, labels["agent_id"], str(card(out)["score"]))
    # Verdict columns are headed by the rubric's titles.
    assert (row["Agent introduced themself"], row['Agent did not say "I\'m listening"']) == ("pass", "fail")


def test_html_scorecard_highlights_the_evidence(run):
    _, _, _, out = run
    page = (out / f"{CALL}.html").read_text()
    # The opening line is evidence for a pass and a fail: highlighted as the fail, both named.
    opening = re.search(r'<li id="t0" class="turn turn-agent turn-cited">.*?</li>', page, re.S).group(0)
    assert ('<mark class="ev-fail" title="Agent did not say &#34;I&#39;m listening&#34;: fail; '
            'Agent introduced themself: pass">') in opening
    assert "I&#39;m listening" in opening
    assert '<a href="#t0">' in page


def test_nothing_scored_exits_non_zero(tmp_path):
    (tmp_path / "broken.wav").write_bytes(b"junk" * 100)
    result = CliRunner().invoke(main, ["score", str(tmp_path), "--out", str(tmp_path / "out"), "--no-db"])
    assert result.exit_code == 1
    assert "Error: no recording could be scored" in result.stderr
    assert json.loads((tmp_path / "out" / "errors.json").read_text())[0]["recording"].endswith("broken.wav")
