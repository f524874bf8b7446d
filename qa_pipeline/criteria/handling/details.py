"""contact_details_asked.v1: the agent asks for a phone number, an email or an address."""

from __future__ import annotations

from dataclasses import dataclass

from qa_pipeline import nlp
from qa_pipeline.criteria.common import evidence, seconds, time_of
from qa_pipeline.criteria.context import CallContext
from qa_pipeline.criteria.registry import Outcome, register_criterion
from qa_pipeline.records import FAIL, PASS


@dataclass(frozen=True)
class ContactParams:
    """A request is an agent sentence naming one of `contact_phrases` that is a question
    ("What's the delivery address?") or holds one of `request_cues` ("Please give me
    your number."; a cue does not count as the contact phrase too). Cues also cover
    questions Whisper turned into statements ("[Is] this number the best one to reach
    you."). "I'll send it to your email" asks for nothing."""

    contact_phrases: tuple[str, ...]
    request_cues: tuple[str, ...] = ()


def contact_request(doc, params: ContactParams) -> tuple[str, str] | None:
    """(the contact phrase, its sentence) where `doc` asks for contact details, or None."""
    questions = nlp.question_sentences(doc)
    for sent in doc.sents:
        asked = [q for q in questions if q.start < sent.end and sent.start < q.end]
        for part in asked or [sent]:
            cues = nlp.find_phrases(part, params.request_cues)
            found = [s for s in nlp.find_phrases(part, params.contact_phrases)
                     if not any(c.start < s.end and s.start < c.end for c in cues)]
            if found and (asked or cues):
                return found[0].text, part.text.strip()
    return None


@register_criterion("contact_details_asked.v1", params=ContactParams, needs_roles=True)
def contact_details_asked(ctx: CallContext, params: ContactParams) -> Outcome:
    """Pass when the agent asks for a phone number, an email or an address."""
    agent = ctx.agent_indices()
    for i in agent:
        found = contact_request(ctx.docs[i], params)
        if found is not None:
            detail = ctx._("agent asked for '{phrase}': '{sentence}' at {time}").format(
                phrase=found[0], sentence=found[1], time=seconds(time_of(ctx.utterances[i], found[1])))
            return Outcome(PASS, 0.85, evidence(ctx, i), detail)
    detail = ctx._("agent asked for no phone number, email or address in {n} utterance(s)").format(n=len(agent))
    return Outcome(FAIL, 0.75, evidence(ctx, *agent[-1:]), detail)
