"""Question criteria: asked_questions.v1 and no_price_before_need.v1.

An agent question is classified by the first `question_kinds` entry whose phrase it
contains ("how can I help" -> greeting_offer); a question that matches none is about
the caller's need ("need").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from qa_pipeline import nlp, prices
from qa_pipeline.criteria.common import evidence, seconds, time_of
from qa_pipeline.criteria.context import OVERRIDE_AT, CallContext, Decision, combine
from qa_pipeline.criteria.hidden_questions import HiddenQuestionCues, hidden_questions
from qa_pipeline.criteria.i18n import N_
from qa_pipeline.criteria.registry import Outcome, register_criterion
from qa_pipeline.records import CUSTOMER, FAIL, PASS

NEED = "need"
# The classifier's label for each question kind.
KIND_ACTS = {
    NEED: "discovery_question",
    "greeting_offer": "greeting_offer",
    "closing_check": "closing_check",
    "name_request": "name_request",
    "contact_request": "contact_request",
    "hold_request": "hold_request",
}


@dataclass(frozen=True)
class Question:
    index: int  # utterance
    char: int  # offset of the question within the utterance text
    text: str
    kind: str


OPENING_KIND = "greeting_offer"
# The kinds' names as a detail lists them ("not counted: repeat request"), marked for translation.
KIND_NAMES = (N_("acknowledgement"), N_("closing check"), N_("contact request"), N_("greeting offer"),
              N_("hold request"), N_("name request"), N_("repeat request"), N_("need"))


def agent_questions(ctx: CallContext, kinds: Mapping[str, tuple[str, ...]],
                    hidden: HiddenQuestionCues | None = None) -> list[Question]:
    """Every question sentence the agent asks, in order, with its kind.

    Before the caller has said anything on an inbound call the agent cannot ask about their
    need: a question there that matches no kind is the opening offer, misheard ("How can I
    tell you?"). On an outbound call the agent speaks first with a purpose, and asks.
    With `hidden` cues, questions without a "?" count too (see `hidden_questions`).
    """
    first_customer = next((i for i, u in enumerate(ctx.utterances) if u.speaker == CUSTOMER), len(ctx.utterances))
    out = []
    for i in ctx.agent_indices():
        found = nlp.question_sentences(ctx.docs[i])
        if hidden is not None:
            found = sorted(found + hidden_questions(ctx.docs[i], ctx.utterances[i], found, hidden), key=lambda s: s.start)
        for sent in found:
            kind = question_kind(sent, kinds)
            if kind == NEED and i < first_customer and ctx.transcript.roles_known and not ctx.outbound:
                kind = OPENING_KIND
            out.append(Question(i, sent.start_char, sent.text.strip(), kind))
    return out


def question_kind(sentence: Any, kinds: Mapping[str, tuple[str, ...]]) -> str:
    for kind, phrases in kinds.items():
        if nlp.find_phrases(sentence, tuple(phrases)):
            return kind
    return NEED


def _acts(kinds: set[str]) -> frozenset[str]:
    return frozenset(KIND_ACTS.get(k, k) for k in kinds)


def _quote(ctx: CallContext, q: Question) -> str:
    return ctx._("'{question}' ({time})").format(question=q.text, time=seconds(time_of(ctx.utterances[q.index], q.text)))


@dataclass(frozen=True)
class AskedQuestionsParams:
    """With classifiers on, an utterance the rules found no counted question in still counts
    when its act is a counted kind at least `classifier_adds_at` sure; a rule's question is
    dropped when the act says otherwise at least OVERRIDE_AT sure, if `classifier_vetoes`."""

    question_kinds: Mapping[str, tuple[str, ...]]
    min_questions: int = 2
    not_counted: tuple[str, ...] = ("repeat_request", "greeting_offer", "closing_check", "hold_request")
    classifier_adds_at: float = 0.5
    classifier_vetoes: bool = True
    embedded_question_cues: tuple[str, ...] = ()
    rising_pitch_st: float = 2.0
    use_rising_pitch: bool = True

    def hidden(self) -> HiddenQuestionCues:
        return HiddenQuestionCues(self.embedded_question_cues, self.rising_pitch_st, self.use_rising_pitch)


@register_criterion("asked_questions.v1", params=AskedQuestionsParams, needs_roles=True)
def asked_questions(ctx: CallContext, params: AskedQuestionsParams) -> Outcome:
    """Pass when the agent asks at least `min_questions` questions about the caller or their need."""
    questions = agent_questions(ctx, params.question_kinds, params.hidden())
    counted_kinds = (set(params.question_kinds) | {NEED}) - set(params.not_counted)
    counted: list[Question] = []
    confidences = []
    for i in sorted({q.index for q in questions} | set(_acted(ctx))):
        mine = [q for q in questions if q.index == i and q.kind in counted_kinds]
        decision = combine(bool(mine), ctx.act(i), _acts(counted_kinds), params.classifier_adds_at,
                           OVERRIDE_AT if params.classifier_vetoes else None)
        if decision.is_act:
            counted += mine or [Question(i, 0, ctx.utterances[i].text, NEED)]
            confidences.append(decision.confidence)
    skipped = [q for q in questions if q.kind not in counted_kinds]
    listed = ", ".join(_quote(ctx, q) for q in counted[:4]) or ctx._("none")
    detail = ctx._("agent asked {n} question(s) about the caller (needs {needs}): {questions}").format(
        n=len(counted), needs=params.min_questions, questions=listed)
    if skipped:
        kinds = ", ".join(sorted({ctx._(q.kind.replace("_", " ")) for q in skipped}))
        detail += ctx._("; not counted: {kinds}").format(kinds=kinds)
    verdict = PASS if len(counted) >= params.min_questions else FAIL
    ev_indices = dict.fromkeys(q.index for q in (counted or skipped))
    confidence = min(confidences) if confidences and verdict == PASS else 0.8
    return Outcome(verdict, confidence, evidence(ctx, *list(ev_indices)[:5]), detail)


def _acted(ctx: CallContext) -> list[int]:
    """Agent utterances the classifier labelled, so it can add questions the rules missed."""
    return [i for i in ctx.agent_indices() if ctx.act(i) is not None]


@dataclass(frozen=True)
class PriceParams:
    """Price words as in `qa_pipeline.prices.PriceLexicon`; `need_kinds` are the question kinds
    that ask about the caller's need. With classifiers on, the first `price_statement` act
    and the first `discovery_question` act at least `classifier_adds_at` sure count as a
    price and a need question the rules missed (and veto rule hits, if `classifier_vetoes`)."""

    question_kinds: Mapping[str, tuple[str, ...]]
    currency_words: tuple[str, ...]
    price_cues: tuple[str, ...]
    amount_cues: tuple[str, ...] = ()
    price_words: tuple[str, ...] = ()
    per_unit: tuple[str, ...] = ()
    not_amount_words: tuple[str, ...] = ()
    identifier_words: tuple[str, ...] = ()
    account_words: tuple[str, ...] = ()
    need_kinds: tuple[str, ...] = (NEED,)
    classifier_adds_at: float = OVERRIDE_AT
    classifier_vetoes: bool = True
    embedded_question_cues: tuple[str, ...] = ()
    rising_pitch_st: float = 2.0
    use_rising_pitch: bool = True

    def hidden(self) -> HiddenQuestionCues:
        return HiddenQuestionCues(self.embedded_question_cues, self.rising_pitch_st, self.use_rising_pitch)

    def combine(self, rule_hit: bool, act, labels: frozenset[str]) -> Decision:
        return combine(rule_hit, act, labels, self.classifier_adds_at, OVERRIDE_AT if self.classifier_vetoes else None)

    def lexicon(self) -> prices.PriceLexicon:
        return prices.lexicon_from(self)


@register_criterion("no_price_before_need.v1", params=PriceParams, needs_roles=True)
def no_price_before_need(ctx: CallContext, params: PriceParams) -> Outcome:
    """Pass when the agent asks about the need before stating any price (or states none)."""
    price = first_price(ctx, params)
    if price is None:
        return Outcome(PASS, 0.8, (), ctx._("agent stated no price"))
    price_index, price_char, price_text, price_decision = price
    need = _first_need(ctx, params)
    price_at = seconds(time_of(ctx.utterances[price_index], price_text))
    if need is not None and (need[0].index, need[0].char) < (price_index, price_char):
        q, decision = need
        detail = ctx._("agent asked about the need {question} before stating a price ('{price}' at {time})").format(
            question=_quote(ctx, q), price=price_text, time=price_at)
        return Outcome(PASS, min(decision.confidence, price_decision.confidence), evidence(ctx, q.index, price_index), detail)
    detail = ctx._("agent stated a price ('{price}' at {time}) before asking about the caller's need").format(
        price=price_text, time=price_at)
    return Outcome(FAIL, price_decision.confidence, evidence(ctx, price_index), detail)


def first_price(ctx: CallContext, params: PriceParams) -> tuple[int, int, str, Decision] | None:
    """The agent's first price statement: (utterance index, char offset, text, decision)."""
    lexicon = params.lexicon()
    for i in ctx.agent_indices():
        spans = prices.find_prices(ctx.docs[i], lexicon)
        decision = params.combine(bool(spans), ctx.act(i), frozenset({"price_statement"}))
        if decision.is_act:
            if spans:
                return i, spans[0].start_char, spans[0].text, decision
            return i, 0, ctx.utterances[i].text, decision
    return None


def _first_need(ctx: CallContext, params: PriceParams) -> tuple[Question, Decision] | None:
    need_acts = _acts(set(params.need_kinds))
    questions = agent_questions(ctx, params.question_kinds, params.hidden())
    for i in sorted({q.index for q in questions} | set(_acted(ctx))):
        mine = [q for q in questions if q.index == i and q.kind in params.need_kinds]
        decision = params.combine(bool(mine), ctx.act(i), need_acts)
        if decision.is_act:
            return (mine[0] if mine else Question(i, 0, ctx.utterances[i].text, NEED)), decision
    return None
