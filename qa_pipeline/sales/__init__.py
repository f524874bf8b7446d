"""Outbound sales calls: the call status, whether to call again, the next contact and the
next action, for the scorecard's `sales` block (rubric ``sales``; docs/sales.md).

`sales_outcome(transcript, metadata, rubric)` is the stage: a pure function of the
transcript, the call's metadata (its date resolves "next Tuesday") and the rubric's
``sales`` section. The sales criteria (purpose_stated_early, decision_maker_checked,
follow_up_specific) are ordinary rubric criteria in `qa_pipeline.sales.criteria`.
"""

from __future__ import annotations

from typing import Any

from qa_pipeline.records import CallMetadata, SalesOutcome, Transcript

__all__ = ["sales_outcome"]


def sales_outcome(transcript: Transcript, metadata: CallMetadata, rubric: Any,
                  model_dir: Any = None) -> SalesOutcome | None:
    """The sales block of one call; None when the rubric has no ``sales`` section."""
    from qa_pipeline.sales.outcome import outcome_of

    return outcome_of(transcript, metadata, rubric, model_dir)
