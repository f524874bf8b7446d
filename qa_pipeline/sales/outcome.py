"""One call's sales block: status, call again, next contact, next action, follow-up."""

from __future__ import annotations

import datetime as dt
from typing import Any

from qa_pipeline import nlp
from qa_pipeline.criteria.context import join_continued
from qa_pipeline.records import (
    AGENT,
    CallMetadata,
    Evidence,
    NextAction,
    NextContact,
    SalesOutcome,
    Transcript,
    Utterance,
)
from qa_pipeline.sales.config import GROUPS, SalesConfig, sales_config
from qa_pipeline.sales.cues import follow_up_index
from qa_pipeline.sales.dates import SaidDate, call_date, dates_in
from qa_pipeline.sales.model import status_probabilities
from qa_pipeline.sales.status import decide, rule_hits, rule_probabilities

# How sure a next contact is when the date is said with a contact phrase ("call you on
# Monday"), and when only a date is said in a call that is to be called again.
CONTACT_SAID = 0.85
DATE_ONLY = 0.55
MAX_EVIDENCE = 3


def outcome_of(transcript: Transcript, metadata: CallMetadata, rubric: Any, model_dir: Any = None
               ) -> SalesOutcome | None:
    """The sales block of one call (see `qa_pipeline.sales.sales_outcome`)."""
    config = sales_config(rubric)
    if config is None:
        return None
    utterances, _ = join_continued(transcript.utterances)
    docs = nlp.parse(u.text for u in utterances)
    rules, model, hits = status_inputs(utterances, docs, config, transcript.roles_known, model_dir)
    decision = decide(rules, model, config, hits)
    group = config.group_of(decision.status)
    indices = decision.evidence[-MAX_EVIDENCE:] if decision.evidence else _last_customer(utterances)
    base = call_date(metadata.call_time)
    dates = _dates(docs, base, config) if base else []
    contact = None if group == "do_not_call" or base is None else _next_contact(dates, docs, utterances, config,
                                                                                   base.date())
    follow = follow_up_index(utterances, docs, config.follow_up_phrases, config.follow_up_window_s,
                             transcript.roles_known)
    return SalesOutcome(
        status=decision.status,
        status_group=group,
        call_again=GROUPS.get(group),
        status_confidence=round(decision.confidence, 4),
        status_evidence=tuple(Evidence.of(utterances[i]) for i in indices),
        next_contact=contact,
        next_action=_next_action(utterances, docs, config, dates, transcript.roles_known),
        follow_up=follow is not None,
    )


def status_inputs(utterances: tuple[Utterance, ...], docs: tuple[Any, ...], config: SalesConfig,
                  roles_known: bool = True, model_dir: Any = None
                  ) -> tuple[dict[str, float], dict[str, float] | None, dict[str, list[tuple[int, str]]]]:
    """(the rules' status probabilities, the model's (None without a model), the rule hits) of a call."""
    hits = rule_hits(utterances, docs, config, roles_known)
    model = status_probabilities(utterances, config.model, model_dir) if utterances else None
    return rule_probabilities(hits, config, len(utterances)), model, hits


def _dates(docs, base, config: SalesConfig) -> list[tuple[int, SaidDate]]:
    """(utterance index, date) of every date said from the call's day on, in order; a bare day
    of the month ("the 15th") is read in the month of the latest date said before it."""
    found: list[tuple[int, SaidDate]] = []
    for i, doc in enumerate(docs):
        anchor = max((d.date for _, d in found), default=None)
        found += [(i, d) for d in dates_in(doc, base, config.date_prefixes, config.after_prefixes,
                                           config.duration_units, anchor)]
    return found


def _last_customer(utterances) -> tuple[int, ...]:
    customer = [i for i, u in enumerate(utterances) if u.speaker != AGENT and u.text.strip()]
    return tuple(customer[-2:])


def _next_contact(dates: list[tuple[int, SaidDate]], docs, utterances, config: SalesConfig,
                  today: dt.date) -> NextContact | None:
    """The last date said with a contact phrase ("I'll call you on Monday"), else the last date
    said at all, less sure; None when no date from the call's day on was said."""
    said = [(i, d) for i, d in dates if nlp.find_phrases(docs[i], config.contact_phrases)]
    later = [(i, d) for i, d in dates if d.date > today]  # a bare "today" is seldom a next contact
    confidence = CONTACT_SAID if said else DATE_ONLY
    chosen = (said or later)[-1] if (said or later) else None
    if chosen is None:
        return None
    i, date = chosen
    return NextContact(date.date.isoformat(), date.words, confidence, (Evidence.of(utterances[i]),))


def _next_action(utterances, docs, config: SalesConfig, dates: list[tuple[int, SaidDate]],
                 roles_known: bool) -> NextAction | None:
    """The last action the rubric names, said by whoever does it, with the date said with it."""
    for i in range(len(utterances) - 1, -1, -1):
        speaker = utterances[i].speaker
        for rule in config.actions:
            if roles_known and (speaker == AGENT) != (rule.who == AGENT):
                continue
            if nlp.find_phrases(docs[i], rule.phrases):
                when = [d for j, d in dates if j == i]
                last = when[-1] if when else None
                return NextAction(rule.what, rule.who, last.date.isoformat() if last else None,
                                  last.words if last else None)
    return None

