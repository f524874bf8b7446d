"""Agreement between the pipeline's verdicts and a labelled corpus: pure metrics and tables.

A decision is one (expected, predicted) verdict pair for one criterion of one call.
Nothing here reads files or runs models; `qa_pipeline.cli.evaluate` does that.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from qa_pipeline.records import FAIL, VERDICTS, Evidence, Scorecard

Pair = tuple[str, str]


def confusion_matrix(pairs: Iterable[Pair], labels: Sequence[str] = VERDICTS) -> dict[str, dict[str, int]]:
    """Counts of expected (outer key) × predicted (inner key) over `labels`."""
    matrix = {expected: {predicted: 0 for predicted in labels} for expected in labels}
    for expected, predicted in pairs:
        matrix[expected][predicted] += 1
    return matrix


def agreement(pairs: Sequence[Pair]) -> float | None:
    """Share of decisions where prediction equals expectation; None when there are none."""
    return sum(e == p for e, p in pairs) / len(pairs) if pairs else None


def precision(pairs: Sequence[Pair], positive: str = FAIL) -> float | None:
    """Of the decisions predicted `positive`, the share expected so; None when none were predicted."""
    predicted = [e for e, p in pairs if p == positive]
    return sum(e == positive for e in predicted) / len(predicted) if predicted else None


def recall(pairs: Sequence[Pair], positive: str = FAIL) -> float | None:
    """Of the decisions expected `positive`, the share predicted so; None when none were expected."""
    expected = [p for e, p in pairs if e == positive]
    return sum(p == positive for p in expected) / len(expected) if expected else None


def cohen_kappa(pairs: Sequence[Pair]) -> float | None:
    """Cohen's kappa: agreement corrected for chance. None when chance agreement is certain."""
    if not pairs:
        return None
    n = len(pairs)
    observed = sum(e == p for e, p in pairs) / n
    labels = {label for pair in pairs for label in pair}
    chance = sum(
        (sum(e == label for e, _ in pairs) / n) * (sum(p == label for _, p in pairs) / n) for label in labels
    )
    if chance >= 1.0:
        return None
    return (observed - chance) / (1.0 - chance)


@dataclass(frozen=True)
class Disagreement:
    call_id: str
    criterion: str
    expected: str
    got: str
    detail: str
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class CriterionStats:
    decisions: int
    agreement: float | None
    precision_fail: float | None
    recall_fail: float | None
    confusion: Mapping[str, Mapping[str, int]]


@dataclass(frozen=True)
class InterruptionStats:
    calls: int
    exact_agreement: float | None
    mean_abs_error: float | None
    mismatches: tuple[tuple[str, int, int], ...]  # (call id, expected, got)


@dataclass(frozen=True)
class OutcomeStats:
    """Call-outcome agreement. A card shows its outcome only where the classifier is sure
    enough (`confidence.shown_outcome`), so agreement is over the calls whose outcome is shown,
    and `shown` says how many that is."""

    calls: int
    agreement: float | None  # over the `shown` calls
    mismatches: tuple[tuple[str, str, str | None], ...]  # (call id, expected, got): shown and different
    shown: int = 0


@dataclass(frozen=True)
class SalesStats:
    """Agreement of the cards' sales block with a manifest's ``sales`` labels: the status
    (and the share of calls left "unknown") and the next contact date (ISO, or null)."""

    calls: int
    status_agreement: float | None
    unknown: float | None
    next_contact_agreement: float | None
    mismatches: tuple[tuple[str, str, str, str | None], ...] = ()  # (call id, "status"|"next_contact", expected, got)
    per_status: Mapping[str, tuple[int, float]] = field(default_factory=dict)  # status -> (calls, agreement)


@dataclass(frozen=True)
class Evaluation:
    criteria: Mapping[str, CriterionStats]
    agreement: float | None
    kappa: float | None
    decisions: int
    disagreements: tuple[Disagreement, ...]
    interruptions: InterruptionStats
    outcomes: OutcomeStats = OutcomeStats(0, None, ())
    sales: SalesStats = SalesStats(0, None, None, None)


def criterion_stats(pairs: Sequence[Pair]) -> CriterionStats:
    return CriterionStats(
        decisions=len(pairs),
        agreement=agreement(pairs),
        precision_fail=precision(pairs),
        recall_fail=recall(pairs),
        confusion=confusion_matrix(pairs),
    )


def interruption_stats(counts: Sequence[tuple[str, int, int]]) -> InterruptionStats:
    """Agreement of interruption counts, from (call id, expected, got) triples."""
    if not counts:
        return InterruptionStats(0, None, None, ())
    exact = sum(e == g for _, e, g in counts) / len(counts)
    mae = sum(abs(e - g) for _, e, g in counts) / len(counts)
    return InterruptionStats(len(counts), exact, mae, tuple(c for c in counts if c[1] != c[2]))


def outcome_stats(labels: Sequence[tuple[str, str, str | None]]) -> OutcomeStats:
    """Agreement of predicted call outcomes, from (call id, expected, got) triples."""
    shown = [c for c in labels if c[2] is not None]
    return OutcomeStats(len(labels), agreement([(e, g) for _, e, g in shown]), tuple(c for c in shown if c[1] != c[2]),
                        len(shown))


def sales_stats(labels: Sequence[tuple[str, Mapping[str, Any], Scorecard]]) -> SalesStats:
    """Sales agreement from (call id, the manifest's ``sales`` labels, the card) triples; a card
    without a sales block counts as status "unknown" and no next contact."""
    rows = []
    for call_id, want, card in labels:
        got = card.sales
        status = got.status if got else "unknown"
        contact = got.next_contact.date if got and got.next_contact else None
        rows.append((call_id, want.get("status"), status, "next_contact" in want, want.get("next_contact"), contact))
    if not rows:
        return SalesStats(0, None, None, None)
    contacts = [(e, g) for _, _, _, labelled, e, g in rows if labelled]
    mismatches = [(c, "status", e, g) for c, e, g, *_ in rows if e != g]
    mismatches += [(c, "next_contact", e, g) for c, _, _, labelled, e, g in rows if labelled and e != g]
    per_status = {}
    for status in dict.fromkeys(r[1] for r in rows):
        pairs = [(r[1], r[2]) for r in rows if r[1] == status]
        per_status[str(status)] = (len(pairs), agreement(pairs) or 0.0)
    return SalesStats(len(rows), agreement([(r[1], r[2]) for r in rows]),
                      sum(r[2] == "unknown" for r in rows) / len(rows), agreement(contacts),
                      tuple((c, f, str(e), g) for c, f, e, g in mismatches), per_status)


def evaluate(expected: Mapping[str, Mapping[str, Any]], cards: Mapping[str, Scorecard]) -> Evaluation:
    """Compare scorecards with labels.

    `expected` maps call id to a manifest entry (``expected`` verdicts per criterion and,
    optionally, ``interruptions``); `cards` maps call id to its scorecard. Calls without a
    scorecard are left out; a labelled criterion missing from a scorecard counts as
    ``not_applicable`` predicted.
    """
    pairs_by_criterion: dict[str, list[Pair]] = {}
    disagreements: list[Disagreement] = []
    interruptions: list[tuple[str, int, int]] = []
    outcomes: list[tuple[str, str, str | None]] = []
    sales: list[tuple[str, Mapping[str, Any], Scorecard]] = []
    for call_id, entry in expected.items():
        card = cards.get(call_id)
        if card is None:
            continue
        for criterion_id, want in entry.get("expected", {}).items():
            result = card.result(criterion_id)
            got = result.verdict if result else "not_applicable"
            pairs_by_criterion.setdefault(criterion_id, []).append((want, got))
            if want != got:
                disagreements.append(Disagreement(
                    call_id, criterion_id, want, got,
                    result.detail if result else "criterion not in scorecard",
                    result.evidence if result else (),
                ))
        if entry.get("interruptions") is not None:
            interruptions.append((call_id, int(entry["interruptions"]), card.metrics.interruptions))
        if entry.get("outcome"):
            outcomes.append((call_id, entry["outcome"], card.outcome))
        if isinstance(entry.get("sales"), dict):
            sales.append((call_id, entry["sales"], card))
    all_pairs = [pair for pairs in pairs_by_criterion.values() for pair in pairs]
    return Evaluation(
        criteria={cid: criterion_stats(pairs) for cid, pairs in pairs_by_criterion.items()},
        agreement=agreement(all_pairs),
        kappa=cohen_kappa(all_pairs),
        decisions=len(all_pairs),
        disagreements=tuple(disagreements),
        interruptions=interruption_stats(interruptions),
        outcomes=outcome_stats(outcomes),
        sales=sales_stats(sales),
    )


# ---------------------------------------------------------------- presentation (pure)


def _evidence_dict(e: Evidence) -> dict[str, Any]:
    return {"speaker": e.speaker, "start": round(e.start, 2), "end": round(e.end, 2), "text": e.text}


def _rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def evaluation_to_dict(ev: Evaluation) -> dict[str, Any]:
    """The `--json` shape: criteria, overall, interruptions and disagreements."""
    return {
        "criteria": {
            cid: {
                "decisions": s.decisions,
                "agreement": _rounded(s.agreement),
                "precision_fail": _rounded(s.precision_fail),
                "recall_fail": _rounded(s.recall_fail),
                "confusion": {e: dict(row) for e, row in s.confusion.items()},
            }
            for cid, s in ev.criteria.items()
        },
        "overall": {"agreement": _rounded(ev.agreement), "kappa": _rounded(ev.kappa), "decisions": ev.decisions},
        "interruptions": {
            "calls": ev.interruptions.calls,
            "exact_agreement": _rounded(ev.interruptions.exact_agreement),
            "mean_abs_error": _rounded(ev.interruptions.mean_abs_error),
            "mismatches": [{"call_id": c, "expected": e, "got": g} for c, e, g in ev.interruptions.mismatches],
        },
        "outcomes": {
            "calls": ev.outcomes.calls,
            "shown": ev.outcomes.shown,
            "agreement": _rounded(ev.outcomes.agreement),
            "mismatches": [{"call_id": c, "expected": e, "got": g} for c, e, g in ev.outcomes.mismatches],
        },
        **({"sales": {
            "calls": ev.sales.calls, "status_agreement": _rounded(ev.sales.status_agreement),
            "unknown": _rounded(ev.sales.unknown), "next_contact_agreement": _rounded(ev.sales.next_contact_agreement),
            "per_status": {s: {"calls": n, "agreement": _rounded(a)} for s, (n, a) in ev.sales.per_status.items()},
            "mismatches": [{"call_id": c, "field": f, "expected": e, "got": g} for c, f, e, g in ev.sales.mismatches],
        }} if ev.sales.calls else {}),
        "disagreements": [
            {"call_id": d.call_id, "criterion": d.criterion, "expected": d.expected, "got": d.got,
             "detail": d.detail, "evidence": [_evidence_dict(e) for e in d.evidence]}
            for d in ev.disagreements
        ],
    }


_SHORT = {"pass": "pass", "fail": "fail", "not_applicable": "n/a"}
_STATS_HEADER = f"{'n':>4} {'agree':>6} {'P(fail)':>7} {'R(fail)':>7}"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _confusion_cell(confusion: Mapping[str, Mapping[str, int]]) -> str:
    return "  ".join(f"{_SHORT[e]:>4} {'/'.join(str(n) for n in row.values()):<8}" for e, row in confusion.items())


def _stats_cells(s: CriterionStats | None) -> str:
    if s is None:
        return " " * len(_STATS_HEADER)
    return f"{s.decisions:4d} {_num(s.agreement):>6} {_num(s.precision_fail):>7} {_num(s.recall_fail):>7}"


def _overall_cells(ev: Evaluation) -> str:
    return f"{ev.decisions:4d} {_num(ev.agreement):>6} {'kappa':>7} {_num(ev.kappa):>7}"


def format_table(ev: Evaluation) -> str:
    """Per-criterion agreement, fail precision/recall and confusion; overall; interruptions."""
    width = max([len(c) for c in ev.criteria] + [9])
    lines = [f"{'criterion':<{width}} {_STATS_HEADER}  confusion, expected: predicted pass/fail/n/a"]
    for cid, s in ev.criteria.items():
        lines.append(f"{cid:<{width}} {_stats_cells(s)}  {_confusion_cell(s.confusion)}".rstrip())
    lines.append(f"{'overall':<{width}} {_overall_cells(ev)}")
    lines.append(format_interruptions(ev.interruptions))
    lines.append(format_outcomes(ev.outcomes))
    if ev.sales.calls:
        lines.append(format_sales(ev.sales))
    return "\n".join(lines)


def format_interruptions(stats: InterruptionStats) -> str:
    if not stats.calls:
        return "interruptions: no labelled counts"
    text = (f"interruptions: {stats.calls} calls, exact count agreement {_num(stats.exact_agreement).strip()}, "
            f"mean abs error {_num(stats.mean_abs_error).strip()}")
    if stats.mismatches:
        text += "; " + ", ".join(f"{c} expected {e} got {g}" for c, e, g in stats.mismatches)
    return text


def format_outcomes(stats: OutcomeStats) -> str:
    if not stats.calls:
        return "outcomes: no labelled outcomes"
    text = (f"outcomes: {stats.calls} calls, shown on {stats.shown} (the rest below the confidence to show), "
            f"agreement where shown {_num(stats.agreement)}")
    if stats.mismatches:
        text += "; " + ", ".join(f"{c} expected {e} got {g}" for c, e, g in stats.mismatches)
    return text


def format_sales(stats: SalesStats) -> str:
    """The sales block's agreement: status (per status), unknown share, next contact date."""
    text = (f"sales: {stats.calls} calls, status agreement {_num(stats.status_agreement)}, "
            f"unknown {_num(stats.unknown)}, next contact agreement {_num(stats.next_contact_agreement)}")
    lines = [text] + [f"  {s:<24} {n:3d} calls  agreement {_num(a)}" for s, (n, a) in stats.per_status.items()]
    lines += [f"  {c} {f}: expected {e} got {g or 'none'}" for c, f, e, g in stats.mismatches]
    return "\n".join(lines)


def format_disagreements(ev: Evaluation) -> str:
    if not ev.disagreements:
        return "disagreements: none"
    lines = [f"disagreements ({len(ev.disagreements)}):"]
    for d in ev.disagreements:
        lines.append(f"  {d.call_id} {d.criterion}: expected {d.expected}, got {d.got} - {d.detail}")
        lines.extend(f"      [{e.speaker} {e.start:.1f}-{e.end:.1f} s] {e.text}" for e in d.evidence)
    return "\n".join(lines)


def format_side_by_side(evaluations: Mapping[str, Evaluation]) -> str:
    """One row per criterion with each variant's n, agreement, P(fail), R(fail) next to each other."""
    names = list(evaluations)
    criteria = list(dict.fromkeys(cid for ev in evaluations.values() for cid in ev.criteria))
    width = max([len(c) for c in criteria] + [9])
    cell = len(_STATS_HEADER)
    lines = [
        f"{'':<{width}} " + " | ".join(f"{name:^{cell}}" for name in names),
        f"{'criterion':<{width}} " + " | ".join(_STATS_HEADER for _ in names),
    ]
    for cid in criteria:
        lines.append(f"{cid:<{width}} " + " | ".join(_stats_cells(evaluations[n].criteria.get(cid)) for n in names))
    lines.append(f"{'overall':<{width}} " + " | ".join(_overall_cells(ev) for ev in evaluations.values()))
    return "\n".join(line.rstrip() for line in lines)


# ---------------------------------------------------------------- labelled corpus manifest


def labels_for(calls: Mapping[str, Mapping[str, Any]], criterion_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The manifest calls with their `expected` verdicts cut down to `criterion_ids`.

    A corpus labelled for several rubrics (etiquette, call_handling) is evaluated against
    one rubric at a time: labels of criteria that rubric lacks are not its decisions.
    """
    keep = set(criterion_ids)
    return {cid: {**call, "expected": {k: v for k, v in call.get("expected", {}).items() if k in keep}}
            for cid, call in calls.items()}

MANIFEST_SCHEMA = "qa-pipeline.manifest/1"


def parse_manifest(data: Any, source: str = "manifest.json") -> dict[str, dict[str, Any]]:
    """The labelled calls of a manifest, keyed by call id, checked for shape and verdict names.

    Raises ValueError naming the source and the call at fault.
    """
    if not isinstance(data, dict) or data.get("schema") != MANIFEST_SCHEMA:
        found = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise ValueError(f"{source}: expected schema {MANIFEST_SCHEMA!r}, found {found!r}")
    calls = data.get("calls")
    if not isinstance(calls, list) or not calls:
        raise ValueError(f"{source}: 'calls' must be a non-empty list")
    labelled: dict[str, dict[str, Any]] = {}
    for index, call in enumerate(calls):
        where = f"{source}: calls[{index}]"
        if not isinstance(call, dict) or not call.get("call_id") or not call.get("file"):
            raise ValueError(f"{where}: needs 'call_id' and 'file'")
        expected = call.get("expected", {})
        bad = {cid: v for cid, v in expected.items() if v not in VERDICTS} if isinstance(expected, dict) else expected
        if bad:
            raise ValueError(f"{where} ({call['call_id']}): verdicts must be one of {', '.join(VERDICTS)}, got {bad}")
        if call["call_id"] in labelled:
            raise ValueError(f"{where}: call id {call['call_id']!r} appears twice")
        labelled[call["call_id"]] = call
    return labelled
