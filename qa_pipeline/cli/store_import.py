"""`qa-pipeline import DIR`: load scorecard JSON files into the results store."""

from __future__ import annotations

import json
from pathlib import Path

import click

from qa_pipeline.errors import QAPipelineError
from qa_pipeline.redaction.report import REPORT_NAME
from qa_pipeline.report import ERRORS_JSON, RUN_MARKER
from qa_pipeline.run_state import QUARANTINE_NAME

# The JSON files `qa-pipeline score` and the flows write beside scorecards (failures, the
# redaction report, the run marker, quarantined calls), and a labelled folder's manifest.
NOT_SCORECARDS = frozenset({ERRORS_JSON, REPORT_NAME, RUN_MARKER, QUARANTINE_NAME, "manifest.json"})


def _recording_path(recording: str, json_path: Path) -> Path | None:
    """The recording a scorecard names, as given or relative to the scorecard's folder."""
    for candidate in (Path(recording), json_path.parent / recording):
        if recording and candidate.is_file():
            return candidate
    return None


def import_file(store, json_path: Path) -> int:
    """Save one scorecard file; returns the scorecard id. Raises QAPipelineError on bad input."""
    from qa_pipeline.contract import scorecard_from_dict
    from qa_pipeline.identity import content_hash

    try:
        data = json.loads(json_path.read_text(encoding="utf-8"))
        card = scorecard_from_dict(data)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise QAPipelineError(f"{json_path}: not a readable scorecard ({type(exc).__name__}: {exc})") from exc
    recording = _recording_path(card.recording, json_path)
    if recording is not None:
        sha, audio_path = content_hash(recording), str(recording.resolve())
    else:
        sha, audio_path = content_hash(json_path), card.recording
    # The redacted copy written beside the scorecard is what the review app may play.
    redacted = json_path.with_name(f"{json_path.stem}.redacted.flac")
    return store.save_scorecard(card, sha, audio_path, call_time=data.get("call_time"),
                                redacted_audio=str(redacted.resolve()) if redacted.is_file() else None, card_json=data)


@click.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--db", "db_url", default=None,
              help="Store URL (default: $QA_PIPELINE_DB, else the default store, which it creates).")
def command(directory: Path, db_url: str | None) -> None:
    """Import the scorecard JSON files in DIRECTORY; re-importing creates no duplicates."""
    from qa_pipeline.store import open_store

    store = open_store(db_url)
    files = sorted(p for p in directory.glob("*.json") if p.name not in NOT_SCORECARDS)
    saved, failed = 0, 0
    for path in files:
        try:
            import_file(store, path)
            saved += 1
        except QAPipelineError as exc:
            failed += 1
            click.echo(f"error: {exc}", err=True)
    store.close()
    click.echo(f"imported {saved} scorecard(s) from {directory}" + (f", {failed} failed" if failed else ""))
    if failed:
        raise SystemExit(1)
