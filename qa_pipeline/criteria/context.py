"""What a criterion sees of one call, and how rules and classifiers combine."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from qa_pipeline.criteria.i18n import translation
from qa_pipeline.languages import ENGLISH
from qa_pipeline.records import AGENT, INBOUND, OUTBOUND, SYSTEM, CallMetadata, DialogueAct, Transcript, Utterance, ends_sentence
from qa_pipeline.speech.utterances import spaced

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
    criteria whose rubric entry has ``use_classifier: true``. `language` is the call's
    language code, which the detail lines are written in (`_`, `ngettext`); "" reads it from
    the docs (the language they were parsed in), else English.
    """

    transcript: Transcript
    metadata: CallMetadata
    docs: tuple[Any, ...]
    dialogue_acts: tuple[DialogueAct | None, ...] | None = None
    language: str = ""

    @property
    def detail_language(self) -> str:
        """The language code the detail lines are written in."""
        return self.language or next((d.lang_ for d in self.docs if d is not None), ENGLISH)

    def _(self, message: str) -> str:
        """Detail template `message` in the call's language (English when it has no translation);
        format it after this: ``ctx._("agent said '{said}'").format(said=...)``."""
        return translation(self.detail_language).gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """`singular` or `plural` by `n`, in the call's language and its plural rules."""
        return translation(self.detail_language).ngettext(singular, plural, n)

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


# A sentence a speaker breaks off for longer than this is not read on into their next
# utterance. A bound, not a calibrated value: utterances break at pauses of 0.8 s
# (speech.utterances.DEFAULT_GAP_S), and a mid-sentence pause of several seconds is a
# speaker who stopped, not a phrase split by ASR.
CONTINUATION_MAX_GAP_S = 3.0


def join_continued(utterances: Sequence[Utterance], max_gap_s: float = CONTINUATION_MAX_GAP_S
                   ) -> tuple[tuple[Utterance, ...], tuple[tuple[int, ...], ...]]:
    """Utterances with each one that breaks off mid-sentence joined to the same speaker's next,
    so a phrase split across them ("Thank" | "you for calling.") is matched; and, per joined
    utterance, the indices of the utterances it was made of.

    Two utterances are joined when the first does not end a sentence (no ".", "?", "!"), the
    next utterance of the call is the same speaker's, it starts within `max_gap_s`, and
    nobody else speaks in between (so no start over another speaker is hidden).
    """
    out: list[Utterance] = []
    groups: list[tuple[int, ...]] = []
    for i, u in enumerate(utterances):
        if out and _continues(out[-1], u, max_gap_s) and not _spoken_over(utterances, out[-1], u):
            prev = out[-1]
            left, right = prev.text.rstrip(), u.text.lstrip()
            glue = " " if not left or not right or spaced(left[-1], right[0]) else ""  # no space inside Japanese
            out[-1] = Utterance(prev.speaker, prev.start, max(prev.end, u.end), left + glue + right,
                                prev.words + u.words, prev.channel)
            groups[-1] = (*groups[-1], i)
        else:
            out.append(u)
            groups.append((i,))
    return tuple(out), tuple(groups)


def _spoken_over(utterances: Sequence[Utterance], prev: Utterance, u: Utterance) -> bool:
    return any(o.speaker != u.speaker and o.start < u.start and o.end > prev.end for o in utterances)


def _continues(prev: Utterance, u: Utterance, max_gap_s: float) -> bool:
    return (u.speaker == prev.speaker and u.speaker != SYSTEM and bool(prev.text.strip())
            and not ends_sentence(prev.text) and 0.0 <= u.start - prev.end <= max_gap_s)


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
