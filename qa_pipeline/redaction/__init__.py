"""PII redaction: transcripts, scorecards, caches and audio get typed placeholders.

Scoring runs on the raw transcript in memory; everything written goes through here first.
Presidio (`presidio-analyzer`, `presidio-anonymizer`, the `redact` extra) does the finding
and replacing, with recognizers for PII as it is spoken. See docs/redaction.md.
"""

from __future__ import annotations

from qa_pipeline.redaction.settings import ENTITIES, RedactionSettings, load_settings, parse_types

__all__ = ["ENTITIES", "RedactionSettings", "load_settings", "parse_types", "redactor"]


def redactor(settings: RedactionSettings | None = None):
    """A `Redactor` for `settings` (default: `load_settings()`); one per settings, reused."""
    from qa_pipeline.redaction.engine import Redactor

    settings = settings or load_settings()
    cached = _REDACTORS.get(settings)
    if cached is None:
        cached = _REDACTORS[settings] = Redactor(settings)
    return cached


_REDACTORS: dict = {}
