"""Re-redacting what earlier versions wrote: an output folder, a transcript cache, a store.

Scorecard JSON keeps no word timings, so the audio of an old output folder is silenced a
whole utterance at a time wherever an utterance held PII (coarser than a fresh run). Every
file is rewritten atomically; the store is rewritten through `Store.redact_scorecards`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from qa_pipeline.contract import (
    SCORECARD_SCHEMA,
    TRANSCRIPT_SCHEMA,
    scorecard_from_dict,
    transcript_from_dict,
    transcript_to_dict,
)
from qa_pipeline.files import write_atomic
from qa_pipeline.protocols import ScorecardStore
from qa_pipeline.records import Scorecard
from qa_pipeline.redaction import redactor
from qa_pipeline.redaction.audio import redacted_audio_path, write_redacted_audio
from qa_pipeline.redaction.scorecard import redact_scorecard, redact_text
from qa_pipeline.redaction.settings import RedactionSettings
from qa_pipeline.report import scorecard_html, scorecard_json


@dataclass
class RedactReport:
    """What one `qa-pipeline redact` run rewrote (counts), filled in as it goes."""

    scorecards: int = 0
    transcripts: int = 0
    audio: int = 0
    store_scorecards: int = 0
    errors: int = 0
    audio_of: dict[str, str] = field(default_factory=dict)  # recording as stored -> its redacted copy


def redact_folder(folder: Path, settings: RedactionSettings, report: RedactReport) -> None:
    """Rewrite every scorecard JSON (and its HTML), errors.json and the redacted audio in `folder`."""
    for path in sorted(Path(folder).rglob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if path.name == "errors.json" and isinstance(data, list):
            items = [{**e, "reason": redact_text(str(e.get("reason", "")), settings)} for e in data]
            write_atomic(path, json.dumps(items, indent=2, ensure_ascii=False) + "\n")
        if not isinstance(data, dict) or data.get("schema") != SCORECARD_SCHEMA:
            continue
        card, _ = redact_scorecard(scorecard_from_dict(data), settings)
        write_atomic(path, scorecard_json(card))
        write_atomic(path.with_suffix(".html"), scorecard_html(card))
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
    for path in sorted(Path(folder).glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict) or data.get("schema") != TRANSCRIPT_SCHEMA:
            continue
        clean = redactor(settings).redact_transcript(transcript_from_dict(data)).transcript
        write_atomic(path, json.dumps(transcript_to_dict(clean, data.get("recording", ""))))
        report.transcripts += 1


def redact_store(store: ScorecardStore, settings: RedactionSettings, report: RedactReport) -> None:
    """Rewrite the transcript, evidence and details of every stored scorecard; link each call to
    the redacted audio made from the same recording in this run, if any."""
    def redact(card: Scorecard) -> Scorecard:
        return redact_scorecard(card, settings)[0]

    report.store_scorecards += store.redact_scorecards(redact, report.audio_of)
