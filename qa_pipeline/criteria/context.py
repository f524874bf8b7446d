"""What a criterion sees of one call, and how rules and classifiers combine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qa_pipeline.records import AGENT, SYSTEM, CallMetadata, DialogueAct, Transcript, Utterance

INBOUND = "inbound"
OUTBOUND = "outbound"

# A rule hit or miss on clean text is usually right; ASR errors are what make it wrong.
RULE_CONFIDENCE = 0.85
# How sure a classifier must be, by default, to overrule a rule.
OVERRIDE_AT = 0.8


@dataclass(frozen=True)
class CallContext:
    """One call as the criteria see it.

    `docs` are the spaCy docs of the utterances, aligned by index with
    `transcript.utterances`. `dialogue_acts`, when given, are aligned the same way
    (None for an utterance the classifier did not label); scoring passes them only to
    criteria whose rubric entry has ``use_classifier: true``.
    """

    transcript: Transcript
    metadata: CallMetadata
    docs: tuple[Any, ...]
    dialogue_acts: tuple[DialogueAct | None, ...] | None = None

    @property
    def utterances(self) -> tuple[Utterance, ...]:
        return self.transcript.utterances

    def agent_indices(self) -> tuple[int, ...]:
        """Indices of the agent's utterances (all but system speech when roles are unknown)."""
        if not self.transcript.roles_known:
            return tuple(i for i, u in enumerate(self.utterances) if u.speaker != SYSTEM)
        return tuple(i for i, u in enumerate(self.utterances) if u.speaker == AGENT)

    @property
    def direction(self) -> str:
        """"inbound" or "outbound": the call's metadata, else the direction the roles were
        read under, else inbound (the call the rubric's guides describe)."""
        roles = self.transcript.roles
        return self.metadata.direction or (roles.direction if roles and roles.direction else None) or INBOUND

    @property
    def outbound(self) -> bool:
        return self.direction == OUTBOUND

    def act(self, index: int) -> DialogueAct | None:
        """The classifier's act for utterance `index`, if acts were supplied."""
        if self.dialogue_acts is None or index >= len(self.dialogue_acts):
            return None
        return self.dialogue_acts[index]


@dataclass(frozen=True)
class Decision:
    """Whether an utterance is an instance of a dialogue act, and how sure we are."""

    is_act: bool
    confidence: float
    source: str  # "rule", "classifier" or "rule+classifier"


def combine(rule_hit: bool, act: DialogueAct | None, labels: frozenset[str], add_at: float = OVERRIDE_AT,
            veto_at: float | None = OVERRIDE_AT) -> Decision:
    """Combine a rule's answer with a classifier's act for one utterance.

    - No act: the rule decides, at RULE_CONFIDENCE.
    - Act and rule agree: the answer stands, at the higher of the two confidences.
    - The classifier finds the act the rule missed: it adds it when at least `add_at` sure.
    - The classifier denies an act the rule found: it vetoes it when at least `veto_at`
      sure (never when `veto_at` is None: the classifier may only rescue rule misses).
    - Otherwise the rule's answer stands with lowered confidence.
    """
    if act is None:
        return Decision(rule_hit, RULE_CONFIDENCE, "rule")
    act_hit = act.label in labels
    if act_hit == rule_hit:
        return Decision(rule_hit, max(RULE_CONFIDENCE, act.probability), "rule+classifier")
    threshold = add_at if act_hit else veto_at
    if threshold is not None and act.probability >= threshold:
        return Decision(act_hit, act.probability, "classifier")
    return Decision(rule_hit, max(0.5, RULE_CONFIDENCE - act.probability / 2), "rule")
