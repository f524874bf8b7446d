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
probably misrecognised (probability under the model's `low_word_p`) and how close the rule is to its
limit, with coefficients fitted on labelled calls by `scripts/calibrate_confidence.py`, one
`Calibration` per Whisper model (see docs/scorecard.md, "Confidence", for the data, the reliability table and the Brier
score). A verdict whose confidence is under `review_below`, or half or more of whose words
are under `low_word_p`, is marked `needs_review`: it keeps its verdict, and a person should
listen before acting on it. `not_applicable` verdicts keep the criterion's confidence and
are never marked.

The calibrations were fitted on English calls. In another language (`ctx.detail_language`)
a verdict's confidence is at most what that language's labelled calls measured for verdicts
of its kind (`AGREEMENTS`, `language_ceiling`), and a verdict resting on something not said
is marked `needs_review` where that is under `review_below`: where the model hears a language
badly, a missing required phrase is too often a misheard one for a confident fail.
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
from qa_pipeline.languages import ENGLISH
from qa_pipeline.records import FAIL, PASS, CallOutcome, CriterionResult, Evidence
from qa_pipeline.rubric import CriterionConfig
from qa_pipeline.speech.models import DEFAULT_MODEL
from qa_pipeline.timing import find_interruptions

# The smallest margin told apart (0.1 % of the limit): a rate or a length measured to that.
MARGIN_FLOOR = 0.001


@dataclass(frozen=True)
class Calibration:
    """The figures `python scripts/calibrate_confidence.py --model M` prints for one Whisper model
    (word probabilities mean different things from model to model).

    `low_word_p`: a word under this probability is more often wrong than right (the sample
    calls' words aligned with their scripts; a logistic of P(word right) crosses 0.5 there).
    `intercept`, `low_words_weight`, `closeness_weight`: the verdict logistic's coefficients,
    per unit of log(1 + words under `low_word_p`) and per unit of closeness to the rule's
    limit (-log of the margin's size; see `Basis.closeness`), fitted on the labelled verdicts.
    `unknown_words_feature`: the first feature where a transcript carries no word records (a
    hand-written transcript, one read back from the results store): its mean over the
    calibration verdicts, so the words count as usual.
    `review_below`: a verdict under this confidence is marked for review: at least twice as
    likely wrong as the average labelled verdict (1 - 2 x the sample calls' rate of wrong verdicts).
    `outcome_shown_from`: the call outcome is shown at this classifier probability or above,
    where the sample calls' shown outcomes agree with their labels at least 0.9 of the time.
    """

    low_word_p: float
    intercept: float
    low_words_weight: float
    closeness_weight: float
    unknown_words_feature: float
    review_below: float
    outcome_shown_from: float


CALIBRATIONS: dict[str, Calibration] = {
    # 48 sample calls (6,812 words aligned; 594 verdicts of both rubrics) and the field cases.
    "tiny.en": Calibration(low_word_p=0.39, intercept=5.70, low_words_weight=-1.22, closeness_weight=-1.34,
                           unknown_words_feature=0.81, review_below=0.97, outcome_shown_from=0.55),
    # The same calls transcribed by base, the shipped default, with the leak cut (7,048 words;
    # 592 verdicts; 0.986 agree).
    "base": Calibration(low_word_p=0.43, intercept=5.60, low_words_weight=-0.97, closeness_weight=-1.54,
                        unknown_words_feature=0.67, review_below=0.97, outcome_shown_from=0.60),
}


# The languages the calibrations were fitted on: the sample calls and field cases are English.
CALIBRATED_LANGUAGES = frozenset({ENGLISH})


@dataclass(frozen=True)
class Agreement:
    """How often one Whisper model's verdicts in one language agreed with the labels of that
    language's sample calls, as (agreeing, labelled) counts of passes and fails: `absence` for
    the verdicts that rest on something not said (`ABSENCE`), `other` for the rest. Counted by
    ``python scripts/calibrate_confidence.py --sample sample_audio_<code> --language <code>``
    (both rubrics; docs/scorecard.md, "In other languages")."""

    absence: tuple[int, int]
    other: tuple[int, int]

    def rate(self, absent: bool) -> float:
        """The agreement to expect, by Laplace's rule of succession ((agreeing + 1) / (labelled + 2)):
        a dozen calls that all agree do not make a verdict certain."""
        agreeing, labelled = self.absence if absent else self.other
        return (agreeing + 1) / (labelled + 2)


AGREEMENTS: dict[tuple[str, str], Agreement] = {
    # The 12 Russian sample calls (sample_audio_ru): 159 labelled verdicts, 14 wrong, 12 of them
    # a phrase missing because Whisper misheard it (a name, a question written without "?").
    ("base", "ru"): Agreement(absence=(73, 85), other=(72, 74)),
    # The 12 Japanese sample calls (sample_audio_ja): 159 verdicts, 5 wrong (4 next_step_agreed fails).
    ("base", "ja"): Agreement(absence=(79, 83), other=(75, 76)),
}


def language_ceiling(model: str | None, language: str, absent: bool) -> float | None:
    """The most confidence a verdict in `language` may show, or None in a calibrated language.

    The English calibration says how English words' probabilities predict agreement; in another
    language the model hears worse, and a missing phrase is more often a misheard one. So a
    verdict's confidence is at most its language's measured agreement for its kind (`Agreement.rate`);
    a language without labelled calls gets the lowest rate measured in any language (Greek and
    Korean: the issue's figures put Whisper base weak on both). `judged` applies it.
    """
    if language in CALIBRATED_LANGUAGES:
        return None
    found = AGREEMENTS.get((model or DEFAULT_MODEL, language))
    if found is not None:
        return found.rate(absent)
    return min((a.rate(absent) for a in AGREEMENTS.values()), default=0.5)


def calibration_for(model: str | None) -> Calibration:
    """The figures for the Whisper model a transcript was made with (`Transcript.asr_model`); a
    model calibrated on no labelled calls (a local folder, a hub model) gets the default model's."""
    return CALIBRATIONS.get(model or "", CALIBRATIONS[DEFAULT_MODEL])


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

    def low_words(self, low_word_p: float) -> int | None:
        """How many of the words are under `low_word_p`: probably misrecognised (None: not known)."""
        return None if self.probabilities is None else sum(p < low_word_p for p in self.probabilities)

    @property
    def closeness(self) -> float:
        """-log of the margin's size: 0 a whole limit away or further (and for a rule without a
        limit), 2.3 a tenth of the limit away, 6.9 at the limit (a margin under 0.1 % counts as 0.1 %).
        A log, so that no width of "close" is chosen: the limit itself is the scale."""
        return 0.0 if self.margin is None else max(0.0, -math.log(max(abs(self.margin), MARGIN_FLOOR)))

    def features(self, calibration: Calibration) -> tuple[float, float]:
        """(log(1 + low-probability words), closeness to the limit): what `confidence_of` weighs.

        A count, not a share: a phrase missed because it was misheard hides in one stretch
        of bad words, however long the window around it.
        """
        low = self.low_words(calibration.low_word_p)
        return (calibration.unknown_words_feature if low is None else math.log1p(low)), self.closeness


def confidence_of(basis: Basis, calibration: Calibration) -> float:
    """The calibrated probability (0-1) that a verdict with this basis agrees with a person's."""
    low, close = basis.features(calibration)
    c = calibration
    return 1.0 / (1.0 + math.exp(-(c.intercept + c.low_words_weight * low + c.closeness_weight * close)))


def to_review(confidence: float, basis: Basis, calibration: Calibration) -> bool:
    """Whether a verdict needs a person: its confidence is under `review_below`, or half or more
    of the words it rests on are more likely misheard than heard (under `low_word_p`), which a
    short window can be without reaching the count the calibration weighs."""
    words = basis.probabilities or ()
    mostly_misheard = bool(words) and 2 * sum(p < calibration.low_word_p for p in words) >= len(words)
    return confidence < calibration.review_below or mostly_misheard


def assess(ctx: CallContext, configs: Sequence[CriterionConfig], results: Sequence[CriterionResult]
           ) -> tuple[CriterionResult, ...]:
    """`results` (aligned with `configs`) with each pass's and fail's confidence from its basis,
    and `needs_review` set where `to_review` says so, with the figures of the transcript's model."""
    calibration = calibration_for(ctx.transcript.asr_model)
    out = []
    for config, result in zip(configs, results, strict=True):
        if result.verdict not in (PASS, FAIL):
            out.append(result)
            continue
        basis = basis_of(ctx, config, result)
        absent = rests_on_absence(config, result)
        ceiling = language_ceiling(ctx.transcript.asr_model, ctx.detail_language, absent)
        confidence, review = judged(basis, calibration, ceiling, absent)
        # Kept to 3 places, as the card writes it, so that a card read back is the same card.
        out.append(dataclasses.replace(result, confidence=round(confidence, 3), needs_review=review))
    return tuple(out)


def judged(basis: Basis, calibration: Calibration, ceiling: float | None = None, absent: bool = False
           ) -> tuple[float, bool]:
    """(confidence, needs_review) of a verdict with this basis: the calibrated confidence and
    `to_review`; in a language with a `ceiling` (`language_ceiling`), the confidence at most the
    ceiling, and a verdict resting on something not said (`absent`) marked for review when the
    ceiling is under `review_below`: in a language the model hears badly, a missing phrase is
    too often a misheard one to fail the agent without a listen."""
    confidence = confidence_of(basis, calibration)
    review = to_review(confidence, basis, calibration)
    if ceiling is None:
        return confidence, review
    return min(confidence, ceiling), review or (absent and ceiling < calibration.review_below)


def basis_of(ctx: CallContext, config: CriterionConfig, result: CriterionResult) -> Basis:
    """The words and margin `result` rests on (see the module docstring)."""
    margin = margin_of(ctx, config.params)
    if not any(u.words for u in ctx.utterances):
        return Basis(None, margin)
    if config.impl in TIMED:
        return Basis((), margin)
    if rests_on_absence(config, result):
        window = ABSENCE[config.impl][1]
        return Basis(window_probabilities(ctx, window, getattr(config.params, "window_s", None)), margin)
    if not result.evidence:  # a custom criterion's verdict that cites nothing
        return Basis((), margin)
    return Basis(evidence_probabilities(ctx, result.evidence), margin)


def rests_on_absence(config: CriterionConfig, result: CriterionResult) -> bool:
    """Whether `result` rests on something not said (its criterion and verdict are in `ABSENCE`)."""
    absent = ABSENCE.get(config.impl)
    return absent is not None and absent[0] == result.verdict


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


def shown_outcome(outcome: CallOutcome | None, model: str | None) -> tuple[str | None, float | None]:
    """The outcome label as the card shows it (None under the `model`'s `outcome_shown_from`) and its confidence."""
    if outcome is None:
        return None, None
    shown = outcome.probability >= calibration_for(model).outcome_shown_from
    return (outcome.label if shown else None), outcome.probability
