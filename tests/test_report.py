import csv
import io
import json
import re
from dataclasses import replace

import pytest

from qa_pipeline.records import (
    AGENT,
    CUSTOMER,
    FAIL,
    NOT_APPLICABLE,
    PASS,
    CallMetrics,
    CriterionResult,
    Evidence,
    Scorecard,
    Transcript,
    Utterance,
)
from qa_pipeline.report import (
    Failure,
    clock,
    errors_json,
    evidence_line,
    highlight_segments,
    scorecard_html,
    scorecard_json,
    summary_csv,
    write_call_outputs,
)

UTTERANCES = (
    Utterance(AGENT, 0.6, 4.1, "Good morning, Bright Smile Dental, my name is Megan, how can I help you?"),
    Utterance(CUSTOMER, 4.8, 7.0, "Hi, this is Tom Baker, I'd like to book a cleaning."),
    Utterance(AGENT, 7.5, 9.0, "How much is it? It costs <80> dollars & more."),
    Utterance(AGENT, 60.2, 62.0, "Thank you for calling, goodbye!"),
)


def make_card(call_id="H01", score=66.7, agent_id="agent-megan", outcome="appointment_booked") -> Scorecard:
    criteria = (
        CriterionResult("self_introduction", PASS, 1.0, 0.97, (Evidence(AGENT, 0.6, 4.1, "my name is Megan"),),
                        "agent gave name 'Megan' at 1.9 s"),
        CriterionResult("no_price_before_need", FAIL, 2.0, 0.8123, (Evidence.of(UTTERANCES[2]),),
                        "price stated at 8.1 s before any need question"),
        CriterionResult("no_im_listening", NOT_APPLICABLE, 1.0, 1.0, (), "no agent speech to check"),
    )
    transcript = Transcript(UTTERANCES, duration_s=63.24, channels=2, asr_model="tiny.en")
    return Scorecard(
        call_id=call_id, recording=f"calls/{call_id}.flac", agent_id=agent_id, duration_s=63.24, channels=2,
        rubric_id="etiquette", rubric_version="1", score=score, criteria=criteria,
        metrics=CallMetrics(interruptions=2, agent_talk_s=31.04, customer_talk_s=20.25, silence_s=9.1,
                            agent_wpm=150.6, agent_questions=4),
        transcript=transcript, versions={"pipeline": "0.1.0", "asr_model": "tiny.en", "rubric": "etiquette/1"},
        outcome=outcome, call_time="2026-11-02T09:14:00",
    )


# ---------------------------------------------------------------- JSON


def test_json_top_level_fields_follow_the_contract():
    data = json.loads(scorecard_json(make_card()))
    assert list(data) == ["schema", "call_id", "recording", "agent_id", "call_time", "duration_s", "channels", "rubric",
                          "score", "criteria", "metrics", "transcript", "versions", "outcome", "warnings",
                          "roles", "serious_errors", "direction", "language",
                          "language_probability", "needs_review", "outcome_confidence"]
    assert data["schema"] == "qa-pipeline.scorecard/1"
    assert (data["call_id"], data["recording"], data["agent_id"]) == ("H01", "calls/H01.flac", "agent-megan")
    assert data["call_time"] == "2026-11-02T09:14:00"
    assert (data["duration_s"], data["channels"], data["score"]) == (63.2, 2, 66.7)
    assert data["rubric"] == {"id": "etiquette", "version": "1", "sha256": None}  # a hand-built card
    assert data["versions"] == {"pipeline": "0.1.0", "asr_model": "tiny.en", "rubric": "etiquette/1"}
    assert (data["outcome"], data["warnings"]) == ("appointment_booked", [])


def test_json_criterion_fields():
    criterion = json.loads(scorecard_json(make_card()))["criteria"][1]
    assert criterion == {
        "id": "no_price_before_need", "verdict": "fail", "weight": 2.0, "confidence": 0.812,
        "evidence": [{"speaker": "agent", "start": 7.5, "end": 9.0, "text": "How much is it? It costs <80> dollars & more."}],
        "detail": "price stated at 8.1 s before any need question",
        "title": "no_price_before_need", "serious_error": None, "failed_title": None, "needs_review": False,
    }


def test_json_metrics_and_transcript():
    data = json.loads(scorecard_json(make_card()))
    assert data["metrics"] == {"interruptions": 2, "agent_talk_s": 31.0, "customer_talk_s": 20.2,
                               "silence_s": 9.1, "agent_wpm": 151, "agent_questions": 4}
    assert data["transcript"][1] == {"speaker": "customer", "start": 4.8, "end": 7.0,
                                     "text": "Hi, this is Tom Baker, I'd like to book a cleaning."}
    assert len(data["transcript"]) == len(UTTERANCES)


def test_unscored_card_has_null_score():
    assert json.loads(scorecard_json(make_card(score=None)))["score"] is None


# ---------------------------------------------------------------- CSV and errors.json


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_summary_csv_columns_are_fixed_then_one_per_criterion():
    header = summary_csv([make_card()]).splitlines()[0]
    assert header == ("call_id,recording,agent_id,call_time,duration_s,score,interruptions,outcome,needs_review,"
                      "self_introduction,no_price_before_need,no_im_listening")


def test_summary_csv_row_values():
    (row,) = _rows(summary_csv([make_card()]))
    assert row == {
        "call_id": "H01", "recording": "calls/H01.flac", "agent_id": "agent-megan",
        "call_time": "2026-11-02T09:14:00", "duration_s": "63.2",
        "score": "66.7", "interruptions": "2", "outcome": "appointment_booked", "needs_review": "",
        "self_introduction": "pass", "no_price_before_need": "fail", "no_im_listening": "not_applicable",
    }


def test_summary_csv_leaves_missing_values_blank():
    (row,) = _rows(summary_csv([make_card(score=None, agent_id=None, outcome=None)]))
    assert (row["score"], row["agent_id"], row["outcome"]) == ("", "", "")


def test_summary_csv_one_row_per_call():
    rows = _rows(summary_csv([make_card("H01"), make_card("H02")]))
    assert [r["call_id"] for r in rows] == ["H01", "H02"]


@pytest.mark.parametrize(
    ("failures", "expected"),
    [
        ([], []),
        ([Failure("in/bad.wav", "not a readable audio file (format not recognised)")],
         [{"recording": "in/bad.wav", "reason": "not a readable audio file (format not recognised)"}]),
    ],
)
def test_errors_json(failures, expected):
    assert json.loads(errors_json(failures)) == expected


def test_call_outputs_and_a_finished_run_create_every_file(tmp_path):
    from qa_pipeline.report import RunOutputs

    run = RunOutputs(tmp_path, ["x.wav"])
    for card in (make_card("H01"), make_card("H02")):
        write_call_outputs(card, tmp_path, card.call_id)
        run.add_card()
    run.add_failure(Failure("x.wav", "empty"))
    run.finish()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "H01.html", "H01.json", "H02.html", "H02.json", "errors.json", "summary.csv"]
    assert json.loads((tmp_path / "H02.json").read_text())["call_id"] == "H02"
    assert len(_rows((tmp_path / "summary.csv").read_text())) == 2


def test_a_run_with_no_failures_writes_an_empty_list(tmp_path):
    from qa_pipeline.report import RunOutputs

    run = RunOutputs(tmp_path)
    write_call_outputs(make_card(), tmp_path, "C01")
    run.finish()
    assert (tmp_path / "errors.json").read_text() == "[]\n"


# ---------------------------------------------------------------- HTML


@pytest.mark.parametrize(("seconds", "expected"), [(0, "0:00.0"), (1.94, "0:01.9"), (62.0, "1:02.0"), (600.25, "10:00.2")])
def test_clock(seconds, expected):
    assert clock(seconds) == expected


@pytest.mark.parametrize(
    ("evidence", "expected_line"),
    [
        (Evidence(AGENT, 0.6, 4.1, "my name is Megan"), 0),
        (Evidence(AGENT, 60.0, 61.0, "goodbye"), 3),
        (Evidence(CUSTOMER, 5.0, 6.0, "Tom Baker"), 1),
        (Evidence(AGENT, 30.0, 31.0, "not in the transcript"), 2),  # nearest agent line in time
    ],
)
def test_evidence_points_at_the_overlapping_line_of_the_same_speaker(evidence, expected_line):
    assert evidence_line(evidence, UTTERANCES) == expected_line


def test_html_is_self_contained():
    page = scorecard_html(make_card())
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script|<link|src=|url\(|https?://", page)


def test_html_highlights_quoted_evidence_inside_its_line():
    page = scorecard_html(make_card())
    line = re.search(r'<li id="t0" class="turn turn-agent turn-cited">.*?</li>', page, re.S).group(0)
    assert '<mark class="ev-pass" title="self_introduction: pass">my name is Megan</mark>' in line
    assert "Good morning, Bright Smile Dental, " in line


def test_html_highlights_whole_line_and_escapes_it():
    page = scorecard_html(make_card())
    assert ('<mark class="ev-fail" title="no_price_before_need: fail">'
            "How much is it? It costs &lt;80&gt; dollars &amp; more.</mark>") in page


def test_html_names_the_criteria_a_line_is_evidence_for():
    page = scorecard_html(make_card())
    assert '<span class="cited">evidence for self_introduction: pass</span>' in page


def test_html_evidence_rows_link_to_transcript_lines():
    page = scorecard_html(make_card())
    assert re.search(r'<a href="#t0"><span class="time">0:00.6–0:04.1</span> agent: “my name is Megan”</a>', page)
    assert '<a href="#t2">' in page


def test_html_tells_agent_and_customer_turns_apart():
    page = scorecard_html(make_card())
    assert re.findall(r'class="turn turn-(\w+)', page) == ["agent", "customer", "agent", "agent"]


def test_html_shows_header_verdicts_and_metrics():
    page = scorecard_html(make_card())
    for text in ("Call H01", "66.7", "agent-megan", "2026-11-02 09:14", "appointment_booked", "etiquette version 1",
                 "agent gave name &#39;Megan&#39; at 1.9 s", "0.81", "151 words/min", "not applicable"):
        assert text in page
    assert 'class="verdict verdict-fail">fail<' in page


def test_html_shows_warnings():
    page = scorecard_html(replace(make_card(), warnings=("mono recording: roles unavailable",)))
    assert '<div class="warnings">' in page and "mono recording: roles unavailable" in page


def test_overlapping_evidence_marks_carry_every_criterion():
    pieces = highlight_segments("abcdef", [(0, 4, "x: pass", "pass"), (2, 6, "y: fail", "fail")])
    assert pieces == [
        {"text": "ab", "mark": True, "title": "x: pass", "css": "pass"},
        {"text": "cd", "mark": True, "title": "x: pass; y: fail", "css": "fail"},
        {"text": "ef", "mark": True, "title": "y: fail", "css": "fail"},
    ]


# --- batch outputs that grow as the run goes, and survive kills and full disks (issue 22) ---


def _summary_ids(folder):
    return [row["call_id"] for row in csv.DictReader(io.StringIO((folder / "summary.csv").read_text()))]


def test_two_runs_into_one_folder_give_one_summary_of_every_card_and_a_marker_only_while_running(tmp_path):
    from qa_pipeline.report import ERRORS_JSON, RUN_MARKER, RunOutputs

    first = RunOutputs(tmp_path, ["in/H01.wav", "in/H02.wav"])
    assert (tmp_path / RUN_MARKER).is_file() and first.previous_run is None
    write_call_outputs(make_card("H01"), tmp_path, "H01")
    first.add_card()
    assert _summary_ids(tmp_path) == ["H01"]  # written as the batch goes
    first.add_failure(Failure("in/H02.wav", "file is empty (0 bytes)"))
    assert json.loads((tmp_path / ERRORS_JSON).read_text()) == [{"recording": "in/H02.wav", "reason": "file is empty (0 bytes)"}]
    first.finish()
    assert not (tmp_path / RUN_MARKER).exists()

    second = RunOutputs(tmp_path, ["in/H03.wav"])  # H02 is not retried: its failure stays listed
    write_call_outputs(make_card("H03"), tmp_path, "H03")
    second.add_card()
    second.finish()
    assert _summary_ids(tmp_path) == ["H01", "H03"]
    assert [e["recording"] for e in json.loads((tmp_path / ERRORS_JSON).read_text())] == ["in/H02.wav"]

    third = RunOutputs(tmp_path, ["in/H02.wav"])  # retried: its old failure is gone
    assert third.failures == ()


def test_a_killed_run_leaves_its_marker_and_the_next_run_says_so(tmp_path):
    from qa_pipeline.report import RunOutputs

    RunOutputs(tmp_path)  # never finished, as after kill -9
    again = RunOutputs(tmp_path)
    assert again.previous_run is not None and again.previous_run["started_at"]


def test_a_full_disk_leaves_the_previous_scorecard_whole(tmp_path, monkeypatch):
    import errno
    import os

    write_call_outputs(make_card("H01", score=66.7), tmp_path, "H01")
    before = (tmp_path / "H01.json").read_bytes()

    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_call_outputs(make_card("H01", score=33.3), tmp_path, "H01")
    assert (tmp_path / "H01.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["H01.html", "H01.json"]  # no partial files left


def test_an_output_folder_that_cannot_be_written_fails_before_the_first_call(tmp_path):
    from qa_pipeline.errors import ConfigError
    from qa_pipeline.report import RunOutputs

    blocked = tmp_path / "file"
    blocked.write_text("a file where the folder should be")
    with pytest.raises(ConfigError, match=r"output folder .*/file/out: cannot write"):
        RunOutputs(blocked / "out")
