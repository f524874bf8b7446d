"""self_introduction.v1: the agent says their own name in the opening."""

from __future__ import annotations

from dataclasses import dataclass

from qa_pipeline import nlp
from qa_pipeline.criteria.common import agent_never_speaks, evidence, opening_indices, own_names, seconds, time_of
from qa_pipeline.criteria.context import OVERRIDE_AT, CallContext, combine
from qa_pipeline.criteria.registry import Outcome, register_criterion
from qa_pipeline.languages import ENGLISH, language
from qa_pipeline.records import FAIL, PASS
from qa_pipeline.vocabulary import agent_spellings, names_match

SELF_INTRODUCTION_ACTS = frozenset({"self_introduction"})


@dataclass(frozen=True)
class SelfIntroductionParams:
    """`templates` use ``{name}`` (any word) or ``{Name}`` (needs proper-noun evidence).

    With classifiers on, a `self_introduction` act at least `classifier_adds_at` sure in
    the opening rescues a template miss; it vetoes a template hit only if `classifier_vetoes`.
    """

    templates: tuple[str, ...]
    window_s: float = 30.0
    not_names: tuple[str, ...] = ()
    greetings: tuple[str, ...] = ()
    company_cues: tuple[str, ...] = ()
    classifier_adds_at: float = OVERRIDE_AT
    classifier_vetoes: bool = False
    # When the call's agent is in the site's roster (CallMetadata.agent_name), saying that
    # name in the opening counts even where no template matched ("my name in Mac" for
    # "my name is Mac"): same Metaphone code, or Jaro-Winkler similarity at least this.
    roster_similarity: float = 0.9
    # Phrases said anywhere in the opening that make it a polite answer as a greeting does
    # (Japanese "〇〇でございます"); with `require_greeting` an opening with neither a greeting
    # nor one of these fails, name or not (a bare "はい" or "もしもし" in Japanese).
    honorific_forms: tuple[str, ...] = ()
    require_greeting: bool = False
    # Particles that, right before the name slot, make the slot the predicate of another
    # topic (Japanese "入会金は無料でございます": the fee is free, said with the same
    # "でございます" as "林でございます"). The slot stays a name when that topic is a pronoun
    # or a `not_names` word ("私は林と申します", "担当は林でございます").
    topic_particles: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Intro:
    index: int
    name: str | None
    confidence: float


@register_criterion("self_introduction.v1", params=SelfIntroductionParams, needs_roles=True)
def self_introduction(ctx: CallContext, params: SelfIntroductionParams) -> Outcome:
    """Pass when the agent gives their own name in the opening window."""
    opening = opening_indices(ctx, params.window_s)
    if not opening:
        return agent_never_speaks(ctx)
    intro = _find_intro(ctx, opening, params)
    greeting = _greeting(ctx, opening, params)
    extras = _sub_findings(ctx, opening, params, greeting)
    if params.require_greeting and greeting is None:
        detail = ctx._("agent answered without a greeting or an honorific answer (a bare answer is not one)") + extras
        return Outcome(FAIL, 0.8, evidence(ctx, opening[0]), detail)
    if intro is None:
        detail = ctx._("agent gave no name in the first {window} s of speech").format(window=f"{params.window_s:g}") + extras
        return Outcome(FAIL, 0.8, evidence(ctx, opening[0]), detail)
    utterance = ctx.utterances[intro.index]
    if intro.name is None:
        detail = ctx._("classifier heard a self-introduction at {time}").format(time=seconds(utterance.start)) + extras
    else:
        detail = ctx._("agent gave name '{name}' at {time}").format(
            name=intro.name, time=seconds(time_of(utterance, intro.name))) + extras
    return Outcome(PASS, intro.confidence, evidence(ctx, intro.index), detail)


def _find_intro(ctx: CallContext, opening: tuple[int, ...], params: SelfIntroductionParams) -> _Intro | None:
    not_names = frozenset(params.not_names)
    for i in opening:
        company = (_company(ctx.docs[i], params.company_cues) or "").lower().split()
        # "This is Harper Valley National Bank. My name is Michael.": the company is no one's name.
        names = own_names(ctx.docs[i], [m for m in nlp.find_names(ctx.docs[i], params.templates, not_names)
                                        if not set(m.name.lower().split()) & set(company)
                                        and not _of_another_topic(ctx.docs[i], m, params)])
        decision = combine(bool(names), ctx.act(i), SELF_INTRODUCTION_ACTS, params.classifier_adds_at,
                           OVERRIDE_AT if params.classifier_vetoes else None)
        if decision.is_act:
            return _Intro(i, names[0].name if names else None, decision.confidence)
    return _roster_name(ctx, opening, params)


def _of_another_topic(doc, mention: nlp.NameMention, params: SelfIntroductionParams) -> bool:
    """Whether the name slot is a number's counter ("三千円でございます") or follows a topic
    particle whose topic is not the speaker (see `SelfIntroductionParams.topic_particles`)."""
    span = doc.char_span(mention.start_char, mention.end_char, alignment_mode="expand")
    if span is None or span.start < 1:
        return False
    if doc[span.start - 1].like_num or doc[span.start - 1].pos_ == "NUM":
        return True
    if span.start < 2 or doc[span.start - 1].text not in params.topic_particles:
        return False
    topic = doc[span.start - 2]
    return topic.pos_ != "PRON" and topic.text not in params.not_names and topic.norm_ not in params.not_names


def _roster_name(ctx: CallContext, opening: tuple[int, ...], params: SelfIntroductionParams) -> _Intro | None:
    """The first word of the opening that is the agent's roster name, matched tolerantly."""
    known = agent_spellings(ctx.metadata)
    for i in opening:
        for token in ctx.docs[i]:
            if token.is_alpha and any(names_match(token.text, name, params.roster_similarity) for name in known):
                return _Intro(i, token.text, 0.75)
    return None


def _greeting(ctx: CallContext, opening: tuple[int, ...], params: SelfIntroductionParams) -> str | None:
    """The opening's greeting (one that opens its sentence), else its first honorific answer form."""
    for i in opening:
        found = next((s.text for s in nlp.find_acts(ctx.docs[i], params.greetings) if _opens(s)), None)
        if found:
            return found
    return next((s.text for i in opening for s in nlp.find_acts(ctx.docs[i], params.honorific_forms)), None)


def _sub_findings(ctx: CallContext, opening: tuple[int, ...], params: SelfIntroductionParams,
                  greeting: str | None) -> str:
    """Greeting and company name in the opening, as a suffix for the detail line."""
    company = None
    for i in opening:
        company = company or _company(ctx.docs[i], params.company_cues)
    parts = [ctx._("greeting '{greeting}'").format(greeting=greeting) if greeting else ctx._("no greeting"),
             ctx._("company '{company}'").format(company=company) if company else ctx._("no company name")]
    return "; " + "; ".join(parts)


def _opens(span) -> bool:
    """Whether a greeting opens its sentence ("Good morning, ..."; "Oh, hello"), as a greeting
    does: "we open from 6 in the morning" holds no greeting. Words that may lead a sentence
    are the language's ("はい、お電話ありがとうございます")."""
    leaders = language(span.doc.lang_).leaders
    return all(t.is_punct or t.lower_ in leaders for t in span.doc[span.sent.start : span.start])


# Words that end a company name said after "thank you for calling ...".
_COMPANY_STOPS = frozenset({"this", "my", "how", "what", "you", "good", "i", "and", "it", "speaking", "here",
                            "regarding", "about", "calling", "to", "with", "in", "on", "at", "for", "we", "today"})
# Words after a short phrase that make it the agent's name, not the company: "Olivia here".
_NAME_AFTER = frozenset({"speaking", "here"})
_COMPANY_POS = frozenset({"PROPN", "NOUN", "ADJ"})
_GREETING_WORDS = frozenset({"good", "morning", "afternoon", "evening", "hello", "hi", "hey", "there", "thanks",
                             "thank", "you", "for", "calling", "welcome"})
_MAX_COMPANY_WORDS = 5


def _company(doc, cues: tuple[str, ...]) -> str | None:
    """The company the agent names: after a cue ("thank you for calling X"), as an entity, or
    as a short phrase standing alone ("Good morning. Riverside Dental.", "Markle speaking,
    Citywide Locksmith.")."""
    if doc.lang_ != ENGLISH:
        return _company_after_cue(doc, cues)
    for cue in nlp.find_phrases(doc, cues):
        words = []
        for token in doc[cue.end : cue.end + 4]:
            if token.is_punct or token.lower_ in _COMPANY_STOPS:
                break
            words.append(token.text)
        if words:
            return " ".join(words)
    orgs = [e.text for e in doc.ents if e.label_ in ("ORG", "FAC")]
    return orgs[0] if orgs else _named_phrase(doc) or _after_own_name(doc)


def _company_after_cue(doc, cues: tuple[str, ...]) -> str | None:
    """Outside English: the nouns right after a cue, past its punctuation
    ("お電話ありがとうございます。さくら歯科、受付の..." -> "さくら歯科")."""
    for cue in nlp.find_phrases(doc, cues):
        i = cue.end
        while i < len(doc) and doc[i].is_punct:
            i += 1
        end = i
        while (end < len(doc) and end - i < _MAX_COMPANY_WORDS and doc[end].pos_ in ("NOUN", "PROPN")
               and "人名" not in doc[end].tag_):  # Sudachi's person-name tag: the agent's name, not the company
            end += 1
        if end > i:
            return doc[i:end].text
    return None


def _after_own_name(doc) -> str | None:
    """The nouns right after the agent's "<name> speaking" / "<name> here", up to the next
    punctuation or function word, capitalised or not: ASR often writes the company in lower
    case and without a comma ("Marko speaking citywide locksmith. How can I help you")."""
    for token in doc[1:]:
        if token.lower_ not in _NAME_AFTER or not doc[token.i - 1].is_alpha:
            continue
        words: list[str] = []
        for word in doc[token.i + 1 : token.i + 1 + _MAX_COMPANY_WORDS]:
            if (word.is_punct and words) or word.lower_ in _COMPANY_STOPS or word.lower_ in _GREETING_WORDS:
                break
            if not word.is_punct:
                if word.pos_ not in _COMPANY_POS:
                    words = []
                    break
                words.append(word.text)
        if words:
            return " ".join(words)
    return None


def _named_phrase(doc) -> str | None:
    """A phrase of nouns and names set off by punctuation, that is neither a greeting nor a
    name said with "speaking"/"here" ("Riverside Dental" in "Good morning. Riverside Dental.")."""
    chunk: list = []
    for token in [*doc, None]:
        if token is not None and not token.is_punct:
            chunk.append(token)
            continue
        words = [t for t in chunk if t.lower_ not in nlp.LEADERS and t.lower_ not in _GREETING_WORDS]
        after = token.nbor(1).lower_ if token is not None and token.i + 1 < len(doc) else ""
        if (words and len(words) <= _MAX_COMPANY_WORDS and all(t.pos_ in _COMPANY_POS for t in words)
                and words[-1].lower_ not in _NAME_AFTER and after not in _NAME_AFTER
                and any(t.pos_ == "PROPN" or t.text[:1].isupper() for t in words) and len(words) > 1):
            return " ".join(t.text for t in words)
        chunk = []
    return None

