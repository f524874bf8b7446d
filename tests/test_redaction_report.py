"""The per-batch redaction report (issue 23): per PII type, spans redacted in text and in audio."""

from __future__ import annotations

import json

import pytest

from qa_pipeline.records import AGENT, CUSTOMER, Utterance, Word

pytest.importorskip("presidio_analyzer")


def _u(speaker, start, end, text):
    words = text.split()
    step = (end - start) / len(words)
    timed = tuple(Word(" " + w, start + k * step, start + (k + 1) * step) for k, w in enumerate(words))
    return Utterance(speaker, start, end, text, timed, 0 if speaker == AGENT else 1)


def test_the_report_counts_text_and_audio_spans_per_type(tmp_path):
    from qa_pipeline.redaction.report import REPORT_NAME, summarize_call, write_report
    from qa_pipeline.redaction.scorecard import redact_scorecard

    from _web_helpers import make_card

    utterances = (
        _u(AGENT, 0.0, 2.0, "Good morning, my name is Anna. What's your date of birth?"),
        _u(CUSTOMER, 2.5, 4.5, "the fourteenth of March nineteen eighty two"),
        _u(AGENT, 5.0, 7.0, "Thank you. And the postcode, please?"),
        _u(CUSTOMER, 7.5, 8.5, "mumble mumble"),  # ASR garbled the whole answer
        _u(AGENT, 9.0, 11.0, "Lovely, that is all updated for you now."),
    )
    card, spans = redact_scorecard(make_card("R9", "agent-anna", "r9.wav", utterances, {}))
    call = summarize_call(card, spans, audio_written=True)
    assert call.text_spans == {"date_of_birth": 1, "address": 1}
    assert call.answers == {"date_of_birth": 1, "address": 1}
    assert call.audio_s["address"] == 2.0  # from the postcode question's end to the agent's next turn
    silent = summarize_call(card, spans, audio_written=False)
    assert silent.audio_spans == {} and silent.text_spans == call.text_spans

    path = write_report(tmp_path, [call, call, silent], "card,date_of_birth,address")
    assert path.name == REPORT_NAME
    report = json.loads(path.read_text())
    assert report["calls"] == 3 and report["redaction"] == "card,date_of_birth,address"
    rows = {row["type"]: row for row in report["types"]}
    assert rows["address"]["text_spans"] == 3 and rows["address"]["audio_spans"] == 2 * call.audio_spans["address"]
    assert "fourteenth" not in path.read_text() and "mumble" not in path.read_text()


def test_parts_written_by_several_runs_merge_into_one_report(tmp_path):
    from qa_pipeline.redaction.report import PARTS_DIR, REPORT_NAME, CallRedaction, merge_parts, write_part

    write_part(tmp_path, "chunk-a", [CallRedaction("c1", {"phone": 2}, {"phone": 1}, {"phone": 1.5}, {"phone": 1})])
    write_part(tmp_path, "chunk-b", [CallRedaction("c2", {"phone": 1, "card": 1}, {}, {}, {})])
    (tmp_path / PARTS_DIR / "chunk-c.json").write_text("[{not json")  # a run killed mid-write: left for later
    assert merge_parts(tmp_path, "phone,card") == tmp_path / REPORT_NAME
    report = json.loads((tmp_path / REPORT_NAME).read_text())
    assert report["calls"] == 2 and report["redaction"] == "phone,card"
    assert {r["type"]: (r["calls"], r["text_spans"], r["audio_spans"], r["audio_s"]) for r in report["types"]} == {
        "phone": (2, 3, 1, 1.5), "card": (1, 1, 0, 0.0)}
    assert [p.name for p in (tmp_path / PARTS_DIR).iterdir()] == ["chunk-c.json"]
    assert merge_parts(tmp_path / "nothing-here") is None
