"""What every report reads: the effective verdict of each criterion result, and a call's day.

The effective verdict is the latest supervisor override of a criterion if there is one,
otherwise the machine's verdict.
"""

from __future__ import annotations

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased

from qa_pipeline.store.schema import Call, CriterionRow, Override, ScorecardRow

# Reports that need a day for every call (the agent page) fall back to the scoring time;
# the calls list shows an unknown call time as unknown and sorts it after the known ones.
WHEN = func.coalesce(Call.call_time, ScorecardRow.scored_at)


def effective_results():
    """Subquery: one row per criterion result with machine verdict, effective verdict, overridden."""
    latest = (
        select(Override.scorecard_id, Override.criterion_id, func.max(Override.id).label("override_id"))
        .group_by(Override.scorecard_id, Override.criterion_id)
        .subquery()
    )
    human = aliased(Override)
    return (
        select(
            CriterionRow.scorecard_id,
            CriterionRow.criterion_id,
            CriterionRow.verdict.label("machine"),
            func.coalesce(human.verdict, CriterionRow.verdict).label("verdict"),
            case((human.id.is_(None), 0), else_=1).label("overridden"),
            CriterionRow.serious_error,
        )
        .outerjoin(
            latest,
            and_(latest.c.scorecard_id == CriterionRow.scorecard_id, latest.c.criterion_id == CriterionRow.criterion_id),
        )
        .outerjoin(human, human.id == latest.c.override_id)
        .subquery("effective")
    )
