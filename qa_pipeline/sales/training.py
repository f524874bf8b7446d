"""Build the call-status model and measure the status on industries it never saw.

`train_status_model` fits the classifier on the training split's calls (fixed seed) and
writes `<out>/sales_status.joblib` with its card; `measure` runs the whole status stage
(rules and model) over labelled calls and tabulates agreement per status. The held-out
split's industries are not in the training split (data/sales/README.md).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa_pipeline.classifiers.features import build_pipeline
from qa_pipeline.classifiers.model_io import save_model
from qa_pipeline.classifiers.predict import call_text
from qa_pipeline.records import CallMetadata
from qa_pipeline.sales.config import UNKNOWN
from qa_pipeline.sales.data import SalesCall
from qa_pipeline.sales.model import SALES_CALLS_SCHEMA, SALES_MODEL

RANDOM_STATE = 0


def train_status_model(calls: Sequence[SalesCall], labels: Sequence[str], out_dir: str | Path,
                       random_state: int = RANDOM_STATE, evaluation: dict | None = None) -> dict:
    """Fit on `calls`, write the model and its card into `out_dir`; return the card."""
    counts = Counter(c.status for c in calls)
    missing = [s for s in labels if counts[s] < 2]
    if missing:
        raise ValueError(f"every status needs at least 2 training calls; too few for {', '.join(missing)}")
    pipeline = build_pipeline(random_state=random_state, calibration_folds=min(3, min(counts.values())))
    pipeline.fit([call_text(c.transcript().utterances) for c in calls], [c.status for c in calls])
    card = {
        "task": "status of one outbound sales call from its agent and customer text",
        "labels": list(labels),
        "estimator": "word(1-2) + char_wb(2-5) TF-IDF -> LogisticRegression, sigmoid-calibrated",
        "random_state": random_state,
        "data": {"schema": SALES_CALLS_SCHEMA, "sha256": hashlib.sha256("\n".join(
                     f"{c.id}|{c.status}|{'|'.join(c.turns)}" for c in calls).encode()).hexdigest(),
                 "examples": len(calls), "label_counts": dict(sorted(counts.items())),
                 "industries": sorted({c.industry for c in calls})},
        "evaluation": evaluation or {},
    }
    save_model(pipeline, card, out_dir, SALES_MODEL)
    return card


@dataclass(frozen=True)
class StatusRow:
    """One status's held-out figures: calls, agreement of the combined status, share
    "unknown", and agreement of the rules alone and the model alone."""

    status: str
    calls: int
    agreement: float
    unknown: float
    rules: float
    model: float


def measure(calls: Sequence[SalesCall], rubric: Any, model_dir: str | Path) -> tuple[list[StatusRow], list[dict]]:
    """(per-status rows plus an "all" row, one record per call) for the status stage on `calls`."""
    import dataclasses

    from qa_pipeline import nlp
    from qa_pipeline.criteria.context import join_continued
    from qa_pipeline.sales.config import sales_config
    from qa_pipeline.sales.outcome import outcome_of, status_inputs
    from qa_pipeline.sales.status import decide

    config = sales_config(rubric)
    if config is None:
        raise ValueError(f"rubric {rubric.id!r} has no sales section")
    model_alone = dataclasses.replace(config, rule_weight=0.0)
    records: list[dict[str, Any]] = []
    for call in calls:
        transcript = call.transcript()
        card = outcome_of(transcript, CallMetadata(call.id, call_time=call.call_date), rubric, model_dir)
        assert card is not None  # the rubric has a sales section
        utterances, _ = join_continued(transcript.utterances)
        rules, model, hits = status_inputs(utterances, nlp.parse(u.text for u in utterances), config, True, model_dir)
        records.append({"id": call.id, "industry": call.industry, "expected": call.status,
                        "got": card.status, "confidence": card.status_confidence,
                        "rules": decide(rules, None, config, hits).status,
                        "model": decide({}, model, model_alone, {}).status if model else UNKNOWN,
                        "next_contact_expected": call.next_contact,
                        "next_contact_got": card.next_contact.date if card.next_contact else None})
    rows = [_row(status, [r for r in records if r["expected"] == status])
            for status in dict.fromkeys(str(r["expected"]) for r in records)]
    return [*rows, _row("all", records)], records


def _row(status: str, records: list[dict]) -> StatusRow:
    n = len(records)

    def share(key: str, value: Any = None) -> float:
        return sum((r[key] == (value if value is not None else r["expected"])) for r in records) / n if n else 0.0

    return StatusRow(status, n, share("got"), share("got", UNKNOWN), share("rules"), share("model"))


def format_rows(rows: Sequence[StatusRow]) -> str:
    """The per-status table as text."""
    lines = [f"{'status':<24} {'calls':>5} {'agree':>6} {'unknown':>7} {'rules':>6} {'model':>6}"]
    lines += [f"{r.status:<24} {r.calls:5d} {r.agreement:6.2f} {r.unknown:7.2f} {r.rules:6.2f} {r.model:6.2f}"
              for r in rows]
    return "\n".join(lines)
