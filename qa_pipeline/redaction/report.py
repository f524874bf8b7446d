"""The redaction report of a batch: per PII type, how much was redacted in text and in audio.

Per call, `summarize_call` counts the placeholders in the written transcript and the spans
(and seconds) silenced in the redacted audio, by type, and among those the answers ASR heard
no words of (silenced in the audio only: nothing of them is in the text to replace); `report_rows` adds the calls up and
`write_report` writes `redaction_report.json` in the output folder. Counts only, never text.
Where several runs score one night's calls (the fan-out flow's chunks), each writes its calls'
counts as a part (`write_part`) and the run that waited for them all merges the parts
(`merge_parts`).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from qa_pipeline.records import Scorecard
from qa_pipeline.redaction.settings import ENTITIES
from qa_pipeline.timing import union_length

REPORT_NAME = "redaction_report.json"
PARTS_DIR = ".redaction-parts"
SCHEMA = "qa-pipeline.redaction-report/1"
_PLACEHOLDER = re.compile(r"\[(" + "|".join(ENTITIES.values()) + r")\](?:[\s,.]*\[\1\])*")
_TYPE_OF = {entity: kind for kind, entity in ENTITIES.items()}


@dataclass(frozen=True)
class CallRedaction:
    """One call's redaction counts by settings type name ("card", "phone", ...)."""

    call_id: str
    text_spans: Mapping[str, int] = field(default_factory=dict)
    audio_spans: Mapping[str, int] = field(default_factory=dict)
    audio_s: Mapping[str, float] = field(default_factory=dict)  # seconds silenced (spans merged per type)
    answers: Mapping[str, int] = field(default_factory=dict)  # answers to PII questions among the audio spans
    unheard: Mapping[str, int] = field(default_factory=dict)  # audio spans with no recognised words (`PiiSpan.heard`)


def summarize_call(card: Scorecard, spans: Iterable, audio_written: bool) -> CallRedaction:
    """Counts for one call: `card` as written (redacted), `spans` as `redact_scorecard` gave them
    (`engine.PiiSpan`), `audio_written`: whether the redacted audio was written."""
    text: Counter[str] = Counter()
    for u in card.transcript.utterances:
        for match in _PLACEHOLDER.finditer(u.text):
            text[_TYPE_OF[match.group(1)]] += 1
    audio: Counter[str] = Counter()
    answers: Counter[str] = Counter()
    unheard: Counter[str] = Counter()
    seconds: dict[str, float] = {}
    if audio_written:
        by_type: dict[str, list[tuple[float, float]]] = {}
        for span in spans:
            kind = _TYPE_OF.get(span.entity, span.entity.lower())
            audio[kind] += 1
            answers[kind] += getattr(span, "kind", "words") != "words"
            unheard[kind] += not getattr(span, "heard", True)
            by_type.setdefault(kind, []).append((span.start, span.end))
        seconds = {kind: round(union_length(times), 2) for kind, times in by_type.items()}
    return CallRedaction(card.call_id, dict(text), dict(audio), seconds, dict(answers), dict(+unheard))


def report_rows(calls: Iterable[CallRedaction]) -> list[dict]:
    """One row per PII type that occurred: calls, text spans, audio spans (of them answers, and
    spans with no words heard), seconds."""
    rows: dict[str, dict] = {}
    for call in calls:
        for kind in {*call.text_spans, *call.audio_spans}:
            row = rows.setdefault(kind, {"type": kind, "calls": 0, "text_spans": 0, "audio_spans": 0,
                                         "audio_answer_spans": 0, "audio_unheard_spans": 0, "audio_s": 0.0})
            row["calls"] += 1
            row["text_spans"] += call.text_spans.get(kind, 0)
            row["audio_spans"] += call.audio_spans.get(kind, 0)
            row["audio_answer_spans"] += call.answers.get(kind, 0)
            row["audio_unheard_spans"] += call.unheard.get(kind, 0)
            row["audio_s"] = round(row["audio_s"] + call.audio_s.get(kind, 0.0), 2)
    return [rows[k] for k in sorted(rows)]


def write_report(out_dir: str | Path, calls: Iterable[CallRedaction], settings_label: str = "") -> Path:
    """`out_dir/redaction_report.json`: {"schema", "redaction" (the types), "calls", "types": rows}.
    Written to a temporary name and renamed."""
    calls = list(calls)
    body = {"schema": SCHEMA, "redaction": settings_label, "calls": len(calls), "types": report_rows(calls)}
    out = Path(out_dir) / REPORT_NAME
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f"{out.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    partial.replace(out)
    return out




def write_part(out_dir: str | Path, name: str, calls: Iterable[CallRedaction]) -> Path:
    """`out_dir/.redaction-parts/<name>.json`: one run's calls' counts, for `merge_parts`."""
    out = Path(out_dir) / PARTS_DIR / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f"{out.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps([asdict(c) for c in calls]) + "\n", encoding="utf-8")
    partial.replace(out)
    return out


def merge_parts(out_dir: str | Path, settings_label: str = "") -> Path | None:
    """Write `redaction_report.json` over every part in `out_dir` and remove the parts merged;
    None when there is no part. A part that is not valid JSON is left in place, unread."""
    parts_dir = Path(out_dir) / PARTS_DIR
    parts = sorted(parts_dir.glob("*.json")) if parts_dir.is_dir() else []
    calls: list[CallRedaction] = []
    merged: list[Path] = []
    for part in parts:
        try:
            rows = json.loads(part.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        calls.extend(CallRedaction(**row) for row in rows)
        merged.append(part)
    if not merged:
        return None
    report = write_report(out_dir, calls, settings_label)
    for part in merged:
        part.unlink(missing_ok=True)
    if not any(parts_dir.iterdir()):
        parts_dir.rmdir()
    return report
