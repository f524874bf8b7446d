"""A real call cut short, no longer changing, is scored as truncated; its folder imports cleanly (issue 22).

Sample call C23 (a real stereo WAV) is cut to 60 % of its bytes with `head -c`, so its
header still promises the whole call. Such a file is waited for 10 minutes after its last
change, as a copy in progress (tests/test_growing.py, with a clock); a test cannot move a
file's ctime back, so here the settle check is off (`--settle-s 0`), as for a file long
quiet. `qa-pipeline score` must score it with the truncation warning, and `qa-pipeline
import` must take the folder `score` wrote, report files and all. Real Whisper (tiny.en),
real SQLite.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from qa_pipeline.cli import main
from qa_pipeline.store import open_store
from qa_pipeline.store.schema import Call

pytestmark = pytest.mark.asr



@pytest.fixture(scope="module")
def scored(tmp_path_factory, sample_audio_dir) -> tuple[Path, object]:
    inbox, out = tmp_path_factory.mktemp("inbox"), tmp_path_factory.mktemp("out")
    whole = sample_audio_dir / "C23.wav"
    cut = inbox / "C23_cut.wav"
    with cut.open("wb") as stream:
        subprocess.run(["head", "-c", str(whole.stat().st_size * 6 // 10), str(whole)], stdout=stream, check=True)
    (inbox / "C24.mp3").write_bytes((sample_audio_dir / "C24.mp3").read_bytes())
    result = CliRunner().invoke(main, ["score", str(inbox), "--out", str(out), "--no-db",
                                       "--settle-s", "0", "--workers", "1"])
    return out, result


def test_a_wav_cut_short_is_scored_with_the_truncation_warning(scored):
    out, result = scored
    assert result.exit_code == 0, result.output
    assert "still being written" not in result.output
    card = json.loads((out / "C23_cut.json").read_text())
    (warning,) = [w for w in card["warnings"] if w.startswith("recording is truncated")]
    assert warning.startswith("recording is truncated: the header promises 39.9 s, 23.9 s decoded")
    assert {c["id"]: c["verdict"] for c in card["criteria"]}["said_goodbye"] == "not_applicable"
    assert json.loads((out / "errors.json").read_text()) == []


def test_the_folder_score_wrote_imports_every_scorecard_and_nothing_else(scored, tmp_path):
    out, _ = scored
    written = {p.name for p in out.iterdir()}
    assert {"errors.json", "redaction_report.json", "summary.csv", "C23_cut.json", "C24.json"} <= written
    url = f"sqlite:///{tmp_path / 'qa.sqlite'}"
    result = CliRunner().invoke(main, ["import", str(out), "--db", url])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"imported 2 scorecard(s) from {out}"
    store = open_store(url)
    try:
        with store.transaction() as session:
            recordings = set(session.scalars(select(Call.audio_path)))
    finally:
        store.close()
    assert {Path(r).name for r in recordings} == {"C23_cut.wav", "C24.mp3"}
