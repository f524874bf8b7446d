"""Redacting what leaves the process: scorecards, transcripts, free text.

`redact_scorecard` turns a scored card into the one that may be written: its transcript,
evidence and details carry placeholders, and `versions["redaction"]` records the types
redacted ("off" when redaction was turned off). The verdicts, score and metrics are the
scorer's, untouched. `ensure_redacted` is the guard each writer calls: a card already
marked passes through, anything else is redacted with the site's settings.
"""

from __future__ import annotations

from dataclasses import replace

from qa_pipeline.records import Evidence, Scorecard, Transcript
from qa_pipeline.redaction import load_settings, redactor
from qa_pipeline.redaction.settings import RedactionSettings

MARK = "redaction"


def is_redacted(card: Scorecard) -> bool:
    return MARK in (card.versions or {})


def redact_scorecard(card: Scorecard, settings: RedactionSettings | None = None):
    """(the card to write, the PII time spans for the audio). Verdicts and times are unchanged."""
    settings = settings or load_settings()
    engine = redactor(settings)
    red = engine.redact_transcript(card.transcript)
    before, after = card.transcript.utterances, red.transcript.utterances
    by_place = {(u.speaker, round(u.start, 2), round(u.end, 2)): (u.text, v.text) for u, v in zip(before, after)}

    def scrub(text: str) -> str:
        for surface, entity in red.surfaces:
            text = text.replace(surface, f"[{entity}]")
        return engine.redact_text(text)

    def evidence(e: Evidence) -> Evidence:
        raw, clean = by_place.get((e.speaker, round(e.start, 2), round(e.end, 2)), (None, None))
        return replace(e, text=clean if e.text == raw else scrub(e.text))

    criteria = tuple(
        replace(c, evidence=tuple(evidence(e) for e in c.evidence), detail=scrub(c.detail) if settings.enabled else c.detail)
        for c in card.criteria
    )
    versions = {**dict(card.versions or {}), MARK: settings.label}
    sales = card.sales and replace(  # the sales block's evidence lines, as the criteria's
        card.sales, status_evidence=tuple(evidence(e) for e in card.sales.status_evidence),
        next_contact=card.sales.next_contact and replace(
            card.sales.next_contact, evidence=tuple(evidence(e) for e in card.sales.next_contact.evidence)))
    return replace(card, transcript=red.transcript, criteria=criteria, versions=versions, sales=sales), red.spans


def ensure_redacted(card: Scorecard, settings: RedactionSettings | None = None) -> Scorecard:
    """The card itself when it is already marked redacted, else its redacted copy."""
    return card if is_redacted(card) else redact_scorecard(card, settings)[0]


def redact_transcript(transcript: Transcript, settings: RedactionSettings | None = None) -> Transcript:
    """A transcript fit to write (a transcript cache entry)."""
    return redactor(settings or load_settings()).redact_transcript(transcript).transcript


def redact_text(text: str, settings: RedactionSettings | None = None) -> str:
    """Free text fit to write (an error reason, a log line)."""
    settings = settings or load_settings()
    return redactor(settings).redact_text(text) if settings.enabled else text
