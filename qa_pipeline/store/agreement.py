"""Machine-supervisor agreement per criterion: confusion counts, Cohen's kappa, and the trend per month.

A criterion result counts as judged by a person when a supervisor overrode it or marked
its scorecard reviewed (then the machine verdict stood: the supervisor agreed). Kappa is
scikit-learn's `cohen_kappa_score` over those pairs (Cohen 1960): agreement beyond
chance, 1 = always agree, 0 = as often as chance; None when it is undefined (one label only).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from qa_pipeline.records import VERDICTS
from qa_pipeline.store.effective import WHEN, effective_results
from qa_pipeline.store.schema import REVIEWED, Call, ReviewEvent, ScorecardRow


@dataclass(frozen=True)
class MonthAgreement:
    month: str  # YYYY-MM of the call (of its scoring when the call time is unknown)
    judged: int
    agreed: int

    @property
    def override_rate(self) -> float | None:
        """Share of judged verdicts a supervisor changed."""
        return (self.judged - self.agreed) / self.judged if self.judged else None


@dataclass(frozen=True)
class Agreement:
    criterion_id: str
    confusion: tuple[tuple[str, str, int], ...]  # (machine, supervisor, count), every pair seen
    kappa: float | None
    months: tuple[MonthAgreement, ...]

    def count(self, machine: str, human: str) -> int:
        return next((n for m, h, n in self.confusion if (m, h) == (machine, human)), 0)


def agreement(session: Session) -> dict[str, Agreement]:
    """Criterion id -> its agreement over every result a supervisor judged."""
    eff = effective_results()
    reviewed = select(ReviewEvent.scorecard_id).where(ReviewEvent.kind == REVIEWED)
    rows = session.execute(
        select(eff.c.criterion_id, eff.c.machine, eff.c.verdict, WHEN.label("when"))
        .select_from(ScorecardRow)
        .join(Call, Call.id == ScorecardRow.call_id)
        .join(eff, eff.c.scorecard_id == ScorecardRow.id)
        .where(or_(eff.c.overridden == 1, eff.c.scorecard_id.in_(reviewed)))
    ).all()
    pairs: dict[str, list[tuple[str, str]]] = defaultdict(list)
    months: dict[str, Counter] = defaultdict(Counter)
    for r in rows:
        pairs[r.criterion_id].append((r.machine, r.verdict))
        month = r.when.strftime("%Y-%m")
        months[r.criterion_id][(month, "judged")] += 1
        months[r.criterion_id][(month, "agreed")] += r.machine == r.verdict
    return {cid: Agreement(cid, _confusion(p), _kappa(p), _trend(months[cid])) for cid, p in pairs.items()}


def _confusion(pairs: list[tuple[str, str]]) -> tuple[tuple[str, str, int], ...]:
    counts = Counter(pairs)
    return tuple((m, h, counts[(m, h)]) for m in VERDICTS for h in VERDICTS if counts[(m, h)])


def _kappa(pairs: list[tuple[str, str]]) -> float | None:
    import math

    from sklearn.metrics import cohen_kappa_score

    machine, human = zip(*pairs)
    if len(set(machine) | set(human)) < 2:
        return None  # one label only: chance agreement is total and kappa is 0/0
    value = cohen_kappa_score(machine, human, labels=list(VERDICTS))
    return None if math.isnan(value) else float(value)


def _trend(counts: Counter) -> tuple[MonthAgreement, ...]:
    months = sorted({month for month, _ in counts})
    return tuple(MonthAgreement(m, counts[(m, "judged")], counts[(m, "agreed")]) for m in months)
