"""The call status from rules and a classifier together, each with a confidence.

Rules: each status of the rubric lists phrases the customer (or anyone but the agent) and
the agent say when a call ends in it ("head office decides", "I'll email you the
brochure"). Each utterance with a hit counts the status's weight, a later one a little
more (how a call ends outweighs how it began); the rules' probabilities are those counts
over all counts. Model: a TF-IDF + logistic-regression classifier over the whole call
text (`qa_pipeline.sales.model`), calibrated. The two are mixed, `rule_weight` for the
rules; the most probable status stands when its combined probability reaches
`min_confidence`, else the status is "unknown". Without a built model the rules decide alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qa_pipeline import nlp
from qa_pipeline.records import AGENT, SYSTEM, Utterance
from qa_pipeline.sales.config import UNKNOWN, SalesConfig, StatusRule

# How much more a hit at the end of the call counts than one at its start.
RECENCY_BONUS = 0.5


@dataclass(frozen=True)
class StatusDecision:
    """The status (or "unknown"), its combined probability, the utterances behind the rules'
    answer, and each source's own best guess for the detail."""

    status: str
    confidence: float
    evidence: tuple[int, ...]
    rule: tuple[str, float] | None
    model: tuple[str, float] | None


def rule_hits(utterances: Sequence[Utterance], docs: Sequence[Any], config: SalesConfig,
              roles_known: bool = True) -> dict[str, list[tuple[int, str]]]:
    """Status -> (utterance index, phrase) of each utterance showing it, in call order."""
    hits: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for i, (u, doc) in enumerate(zip(utterances, docs)):
        if u.speaker == SYSTEM and not roles_known:
            continue
        for rule in config.statuses:
            phrases = _phrases_for(rule, u.speaker, roles_known)
            found = nlp.find_phrases(doc, phrases) if phrases else []
            if found:
                hits[rule.id].append((i, found[0].text))
    return dict(hits)


def _phrases_for(rule: StatusRule, speaker: str, roles_known: bool) -> tuple[str, ...]:
    if not roles_known:
        return rule.customer + rule.agent
    return rule.agent if speaker == AGENT else rule.customer


def rule_probabilities(hits: Mapping[str, list[tuple[int, str]]], config: SalesConfig, n: int) -> dict[str, float]:
    """Each status's share of the weighted, recency-scaled hits (empty without hits)."""
    weights = {s.id: s.weight for s in config.statuses}
    scores = {status: sum(weights[status] * (1 + RECENCY_BONUS * i / max(n - 1, 1)) for i, _ in found)
              for status, found in hits.items()}
    total = sum(scores.values())
    return {status: score / total for status, score in scores.items()} if total else {}


def decide(rules: Mapping[str, float], model: Mapping[str, float] | None, config: SalesConfig,
           hits: Mapping[str, list[tuple[int, str]]]) -> StatusDecision:
    """Mix the rules' and the model's probabilities; "unknown" below `config.min_confidence`."""
    if model is None or not model:
        combined = dict(rules)
    elif not rules:
        combined = {s: (1 - config.rule_weight) * p for s, p in model.items()}
    else:
        combined = {s: config.rule_weight * rules.get(s, 0.0) + (1 - config.rule_weight) * model.get(s, 0.0)
                    for s in set(rules) | set(model)}
    best = max(combined, key=lambda s: (combined[s], s), default=None)
    rule = _top(rules)
    guess = _top(model or {})
    if best is None or combined[best] < config.min_confidence:
        return StatusDecision(UNKNOWN, combined.get(best, 0.0) if best else 0.0, (), rule, guess)
    evidence = tuple(i for i, _ in hits.get(best, ()))
    return StatusDecision(best, combined[best], evidence, rule, guess)


def _top(probabilities: Mapping[str, float]) -> tuple[str, float] | None:
    if not probabilities:
        return None
    best = max(probabilities, key=lambda s: (probabilities[s], s))
    return best, probabilities[best]
