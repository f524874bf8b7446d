"""How sure a verdict is: from the recognised words it rests on and the rule's margin.

A pure stage after the criteria (`scoring.score_transcript` calls `assess`). For each
pass or fail it gathers the verdict's basis:

- the Whisper word probabilities of the words it rests on: the words of its evidence
  (the transcript's words of the evidence's speaker inside the evidence's time span); and,
  for a verdict that rests on something *not* said (a required phrase missing, a forbidden
  phrase never heard), every agent word in the window the criterion looks at (the opening
  or closing `window_s`, or the agent's whole speech). The criteria that decide by timing
  alone (`TIMED`: pace, interruptions) rest on no words, only on their margin, and so does
  a verdict that cites nothing and is not in `ABSENCE`;
- the rule's margin where it has a limit: how far the measured value is from the limit that
  would flip the verdict, relative to the limit (pace against `max_wpm`/`stretch_max_wpm`,
  the longest overlap against `min_overlap_s`, each hold's length against its gap).

The confidence is a logistic of two features of that basis, how many of its words are
probably misrecognised (probability under `LOW_WORD_P`) and how close the rule is to its
limit, with coefficients fitted on labelled calls by `scripts/calibrate_confidence.py`
(see docs/scorecard.md, "Confidence", for the data, the reliability table and the Brier
score). A verdict whose confidence is under `REVIEW_BELOW`, or half or more of whose words
are under `LOW_WORD_P`, is marked `needs_review`: it keeps its verdict, and a person should
listen before acting on it. `not_applicable` verdicts keep the criterion's confidence and
are never marked.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

from qa_pipeline.criteria.common import closing_indices, opening_indices
from qa_pipeline.criteria.context import CallContext
from qa_pipeline.criteria.handling.holds import HoldParams, find_holds
from qa_pipeline.criteria.handling.pace import PaceParams, fastest_stretch, rate_of
from qa_pipeline.criteria.interrupting import InterruptingParams, backchannel_rule
from qa_pipeline.records import FAIL, PASS, CallOutcome, CriterionResult, Evidence
from qa_pipeline.rubric import CriterionConfig
from qa_pipeline.timing import find_interruptions

# --- Calibrated figures: `python scripts/calibrate_confidence.py` prints every one of them.
# A Whisper word under this probability is more often wrong than right: tiny.en's words on
# the 48 sample calls aligned with their scripts; a logistic of P(word right) crosses 0.5 here.
LOW_WORD_P = 0.39
# The logistic's coefficients: intercept, per unit of log(1 + words under LOW_WORD_P), per
# unit of closeness to the rule's limit (-log of the margin's size; see `Basis.closeness`).
INTERCEPT = 5.70
LOW_WORDS_WEIGHT = -1.22
CLOSENESS_WEIGHT = -1.34
# The smallest margin told apart (0.1 % of the limit): a rate or a length measured to that.
MARGIN_FLOOR = 0.001
# The first feature where a transcript carries no word records (a hand-written transcript, one read
# back from the results store): its mean over the calibration verdicts, so the words count as usual.
UNKNOWN_WORDS_FEATURE = 0.81
# A verdict below this confidence is marked for review: at least twice as likely wrong as the
# average labelled verdict (0.983 agreed on the sample calls: 1 - 2 x 0.017).
REVIEW_BELOW = 0.97
# The call outcome is shown at this classifier probability or above: from 0.55 the sample calls'
# outcomes agree with their labels 0.93 of the time (14 of 15), under it 0.61 (docs/scorecard.md).
OUTCOME_SHOWN_FROM = 0.55

# Which verdict of a built-in criterion rests on something not said, and the agent speech
# the criterion searched for it: the opening or closing `window_s` (the rubric's), or all of it.
OPENING, CLOSING, AGENT_SPEECH = "opening", "closing", "agent"
ABSENCE: dict[str, tuple[str, str]] = {
    "self_introduction.v1": (FAIL, OPENING),
    "said_goodbye.v1": (FAIL, CLOSING),
    "thanked_for_call.v1": (FAIL, CLOSING),
    "offered_further_help.v1": (FAIL, CLOSING),
    "next_step_agreed.v1": (FAIL, CLOSING),
    "name_use.v1": (FAIL, AGENT_SPEECH),
    "asked_questions.v1": (FAIL, AGENT_SPEECH),
    "contact_details_asked.v1": (FAIL, AGENT_SPEECH),
    "acknowledged_caller.v1": (FAIL, AGENT_SPEECH),
    "no_im_listening.v1": (PASS, AGENT_SPEECH),
    "no_price_before_need.v1": (PASS, AGENT_SPEECH),
    "no_forbidden_phrases.v1": (PASS, AGENT_SPEECH),
}
# Criteria that decide by timing alone: how many words and when, not which ones. A misheard word
# still counts as a word, so their verdicts rest on their margin, not on the words' probabilities.
TIMED = frozenset({"speaking_pace.v1", "no_interrupting.v1"})


@dataclass(frozen=True)
class Basis:
    """What one verdict rests on: `probabilities` of its words (0-1 each; None when the
    transcript carries no word records), and `margin`, the signed distance of the rule's
    measure from its limit as a share of the limit (None where the rule has no limit; its
    size is what counts)."""

    probabilities: tuple[float, ...] | None
    margin: float | None = None

    def low_words(self, low_word_p: float = LOW_WORD_P) -> int | None:
        """How many of the words are under `low_word_p`: probably misrecognised (None: not known)."""
        return None if self.probabilities is None else sum(p < low_word_p for p in self.probabilities)

    @property
    def closeness(self) -> float:
        """-log of the margin's size: 0 a whole limit away or further (and for a rule without a
        limit), 2.3 a tenth of the limit away, 6.9 at the limit (a margin under 0.1 % counts as 0.1 %).
        A log, so that no width of "close" is chosen: the limit itself is the scale."""
        return 0.0 if self.margin is None else max(0.0, -math.log(max(abs(self.margin), MARGIN_FLOOR)))

    def features(self, low_word_p: float = LOW_WORD_P) -> tuple[float, float]:
        """(log(1 + low-probability words), closeness to the limit): what `confidence_of` weighs.

        A count, not a share: a phrase missed because it was misheard hides in one stretch
        of bad words, however long the window around it.
        """
        low = self.low_words(low_word_p)
        return (UNKNOWN_WORDS_FEATURE if low is None else math.log1p(low)), self.closeness


def confidence_of(basis: Basis) -> float:
    """The calibrated probability (0-1) that a verdict with this basis agrees with a person's."""
    low, close = basis.features()
    return 1.0 / (1.0 + math.exp(-(INTERCEPT + LOW_WORDS_WEIGHT * low + CLOSENESS_WEIGHT * close)))


def to_review(confidence: float, basis: Basis, review_below: float = REVIEW_BELOW,
              low_word_p: float = LOW_WORD_P) -> bool:
    """Whether a verdict needs a person: its confidence is under `review_below`, or half or more
    of the words it rests on are more likely misheard than heard (under `low_word_p`), which a
    short window can be without reaching the count the calibration weighs."""
    words = basis.probabilities or ()
    mostly_misheard = bool(words) and 2 * sum(p < low_word_p for p in words) >= len(words)
    return confidence < review_below or mostly_misheard


def assess(ctx: CallContext, configs: Sequence[CriterionConfig], results: Sequence[CriterionResult]
           ) -> tuple[CriterionResult, ...]:
    """`results` (aligned with `configs`) with each pass's and fail's confidence from its basis,
    and `needs_review` set where `to_review` says so."""
    out = []
    for config, result in zip(configs, results, strict=True):
        if result.verdict not in (PASS, FAIL):
            out.append(result)
            continue
        basis = basis_of(ctx, config, result)
        confidence = confidence_of(basis)
        # Kept to 3 places, as the card writes it, so that a card read back is the same card.
        out.append(dataclasses.replace(result, confidence=round(confidence, 3),
                                       needs_review=to_review(confidence, basis)))
    return tuple(out)


def basis_of(ctx: CallContext, config: CriterionConfig, result: CriterionResult) -> Basis:
    """The words and margin `result` rests on (see the module docstring)."""
    margin = margin_of(ctx, config.params)
    if not any(u.words for u in ctx.utterances):
        return Basis(None, margin)
    if config.impl in TIMED:
        return Basis((), margin)
    absent = ABSENCE.get(config.impl)
    if absent is not None and absent[0] == result.verdict:
        return Basis(window_probabilities(ctx, absent[1], getattr(config.params, "window_s", None)), margin)
    if not result.evidence:  # a custom criterion's verdict that cites nothing
        return Basis((), margin)
    return Basis(evidence_probabilities(ctx, result.evidence), margin)


def evidence_probabilities(ctx: CallContext, evidence: Sequence[Evidence]) -> tuple[float, ...]:
    """Probabilities of the words each piece of evidence covers: its speaker's words whose
    middle falls inside its span (each word once)."""
    seen: dict[tuple[str, float], float] = {}
    for e in evidence:
        for u in ctx.utterances:
            if u.speaker != e.speaker or u.end < e.start or u.start > e.end:
                continue
            for w in u.words:
                if e.start <= (w.start + w.end) / 2 <= e.end:
                    seen[(u.speaker, w.start)] = w.probability
    return tuple(seen.values())


def window_probabilities(ctx: CallContext, window: str, window_s: float | None) -> tuple[float, ...]:
    """Probabilities of the agent's words in the `window` ("opening", "closing" or "agent",
    the whole of the agent's speech) a criterion searched; `window_s` its length."""
    if window == OPENING and window_s is not None:
        indices = opening_indices(ctx, window_s)
    elif window == CLOSING and window_s is not None:
        indices = closing_indices(ctx, window_s)
    else:
        indices = ctx.agent_indices()
    return tuple(w.probability for i in indices for w in ctx.utterances[i].words)


def margin_of(ctx: CallContext, params: object) -> float | None:
    """The rule's margin for the criteria whose verdict turns on a measured limit, else None."""
    if isinstance(params, PaceParams):
        return _pace_margin(ctx, params)
    if isinstance(params, InterruptingParams):
        return _overlap_margin(ctx, params)
    if isinstance(params, HoldParams):
        return _hold_margin(ctx, params)
    return None


def _pace_margin(ctx: CallContext, params: PaceParams) -> float | None:
    """Headroom (negative: excess) of the overall and fastest-stretch rates under their limits, the smaller."""
    overall = rate_of(ctx, ctx.agent_indices())
    margins = [(params.max_wpm - overall.wpm) / params.max_wpm]
    stretch = fastest_stretch(ctx, params)
    if stretch is not None:
        margins.append((params.stretch_max_wpm - stretch.wpm) / params.stretch_max_wpm)
    return min(margins)


def _overlap_margin(ctx: CallContext, params: InterruptingParams) -> float | None:
    """How far the agent's longest start over the customer is below (negative: above) `min_overlap_s`."""
    overlaps = find_interruptions(ctx.transcript, 0.0, backchannel_rule(params))
    if not overlaps or params.min_overlap_s <= 0:
        return None
    return (params.min_overlap_s - max(x.overlap_s for x in overlaps)) / params.min_overlap_s


def _hold_margin(ctx: CallContext, params: HoldParams) -> float | None:
    """How far the shortest hold found is above the gap that made it one."""
    gaps = [(h.length_s, params.announced_gap_s if h.announced else params.silent_gap_s) for h in find_holds(ctx, params)]
    return min(((length - gap) / gap for length, gap in gaps), default=None)


def shown_outcome(outcome: CallOutcome | None) -> tuple[str | None, float | None]:
    """The outcome label as the card shows it (None under `OUTCOME_SHOWN_FROM`) and its confidence."""
    if outcome is None:
        return None, None
    return (outcome.label if outcome.probability >= OUTCOME_SHOWN_FROM else None), outcome.probability
