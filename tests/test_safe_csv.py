"""CSV injection: every CSV we write neutralises cells a spreadsheet would run as formulas (OWASP)."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest

from qa_pipeline import safe_csv
from qa_pipeline.records import CallMetrics, Scorecard, Transcript
from qa_pipeline.report import summary_csv


def written(cells) -> list[str]:
    out = io.StringIO()
    safe_csv.writer(out).writerow(cells)
    return next(csv.reader(io.StringIO(out.getvalue())))


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('=HYPERLINK("http://evil.example","click")', '\'=HYPERLINK("http://evil.example","click")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd\\|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("C01", "C01"),
        ("a=b", "a=b"),
        ("", ""),
        # Numbers are data, not formulas: they stay numbers (see qa_pipeline.safe_csv).
        ("-12.5", "-12.5"),
        (-3, "-3"),
        (87.5, "87.5"),
    ],
)
def test_cells_that_would_run_as_formulas_are_neutralised(cell, expected):
    assert written([cell]) == [expected]


def test_the_header_row_is_neutralised_too():
    out = io.StringIO()
    writer = safe_csv.DictWriter(out, ["call_id", "=evil"])
    writer.writeheader()
    writer.writerow({"call_id": "@x", "=evil": 1})
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["call_id", "'=evil"], ["'@x", "1"]]


def test_summary_csv_holds_no_live_formula_from_a_call_id_or_file_name():
    card = Scorecard(
        call_id='=HYPERLINK("http://evil.example","click")', recording='=HYPERLINK("http://evil.example","click").wav',
        agent_id="+agent", duration_s=12.0, channels=2, rubric_id="etiquette", rubric_version="1", score=50.0,
        criteria=(), metrics=CallMetrics(0, 1.0, 1.0, 0.0, 120.0, 1), transcript=Transcript((), 12.0, 2),
    )
    rows = list(csv.DictReader(io.StringIO(summary_csv([card, replace(card, call_id="\tC02", agent_id="-")]))))
    assert [r["call_id"][:2] for r in rows] == ["'=", "'\t"]
    assert rows[0]["recording"].startswith("'=") and rows[0]["agent_id"] == "'+agent" and rows[1]["agent_id"] == "'-"
    assert rows[0]["score"] == "50.0"
