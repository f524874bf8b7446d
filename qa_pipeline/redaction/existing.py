"""Re-redacting what earlier versions wrote: an output folder, a transcript cache, a store.

Scorecard JSON keeps no word timings, so the audio of an old output folder is silenced a
whole utterance at a time wherever an utterance held PII (coarser than a fresh run).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from qa_pipeline.redaction.settings import RedactionSettings


@dataclass
class RedactReport:
    scorecards: int = 0
    transcripts: int = 0
    audio: int = 0
    store_scorecards: int = 0
    errors: int = 0
    audio_of: dict = field(default_factory=dict)  # recording as stored -> its redacted copy


def redact_folder(folder: Path, settings: RedactionSettings, report: RedactReport) -> None:
    """Rewrite every scorecard JSON (and its HTML), errors.json and the redacted audio in `folder`."""
    from qa_pipeline.contract import SCORECARD_SCHEMA, scorecard_from_dict
    from qa_pipeline.redaction.audio import redacted_audio_path, write_redacted_audio
    from qa_pipeline.redaction.scorecard import redact_scorecard, redact_text
    from qa_pipeline.report import scorecard_html, scorecard_json

    for path in sorted(Path(folder).rglob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if path.name == "errors.json" and isinstance(data, list):
            items = [{**e, "reason": redact_text(str(e.get("reason", "")), settings)} for e in data]
            path.write_text(json.dumps(items, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        if not isinstance(data, dict) or data.get("schema") != SCORECARD_SCHEMA:
            continue
        card, _ = redact_scorecard(scorecard_from_dict(data), settings)
        path.write_text(scorecard_json(card), encoding="utf-8")
        path.with_suffix(".html").write_text(scorecard_html(card), encoding="utf-8")
        report.scorecards += 1
        recording = Path(card.recording)
        spans = [u for u in card.transcript.utterances if "[" in u.text and "]" in u.text]
        if settings.enabled and recording.is_file():
            target = write_redacted_audio(recording, spans, redacted_audio_path(path.parent, path.stem),
                                          settings.margin_s, settings.fade_s)
            report.audio_of[card.recording] = str(target.resolve())
            report.audio += 1


def redact_cache(folder: Path, settings: RedactionSettings, report: RedactReport) -> None:
    """Rewrite every cached transcript in `folder` redacted (word timings kept)."""
    from qa_pipeline.contract import TRANSCRIPT_SCHEMA, transcript_from_dict, transcript_to_dict
    from qa_pipeline.redaction import redactor

    for path in sorted(Path(folder).glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict) or data.get("schema") != TRANSCRIPT_SCHEMA:
            continue
        clean = redactor(settings).redact_transcript(transcript_from_dict(data)).transcript
        path.write_text(json.dumps(transcript_to_dict(clean, data.get("recording", ""))), encoding="utf-8")
        report.transcripts += 1


def redact_store(store, settings: RedactionSettings, report: RedactReport) -> None:
    """Rewrite the transcript, evidence and details of every stored scorecard, in place; link
    each call to the redacted audio made from the same recording in this run, if any."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from qa_pipeline.redaction.scorecard import MARK, redact_scorecard
    from qa_pipeline.store import rows
    from qa_pipeline.store.schema import CriterionRow, ScorecardRow

    with store.transaction() as session:
        ids = list(session.scalars(select(ScorecardRow.id)))
    for scorecard_id in ids:
        with store.transaction() as session:
            row = session.get(ScorecardRow, scorecard_id, options=[
                selectinload(ScorecardRow.call), selectinload(ScorecardRow.utterances),
                selectinload(ScorecardRow.criteria).selectinload(CriterionRow.evidence)])
            card, _ = redact_scorecard(rows.card_of(row), settings)
            for stored, utterance in zip(row.utterances, card.transcript.utterances):
                stored.text = utterance.text
            for stored, result in zip(row.criteria, card.criteria):
                stored.detail = result.detail
                for ev_row, evidence in zip(stored.evidence, result.evidence):
                    ev_row.text = evidence.text
            row.versions = {**dict(row.versions or {}), MARK: settings.label}
            audio = report.audio_of.get(row.call.recording)
            if audio:
                row.call.redacted_audio_path = audio
        report.store_scorecards += 1
