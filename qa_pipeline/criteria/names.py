"""name_use.v1: the agent learns the caller's name and addresses them by it.

The caller's name comes from call metadata, the caller's own words ("my name is ...",
"this is ...", a sentence that is only a name) or the answer to the agent's request.
A name the agent gave as their own is not the caller's ("Hi Nicole" heard as "I'm
Nicole"), and an answer word after "the"/"of" or left lower-case in cased text is a
common word, not a name ("the team", "of course").

ASR spells names freely ("Mendes" may come out "Men's" or "Mendez"), so the agent's words
are matched against it with a similarity ratio or a Metaphone key; a common English word
("red" for "Reed") counts only when spelled exactly as the name, and the word after a
title ("Ms. Wilson") is matched more loosely. When the name was lost or mangled, the
agent still passes, at lower confidence, by addressing the caller after they have spoken:
a name closing a phrase ("We do, Emma.", "thank you for your time Denis if ...") or a title
("Thank you, Ms. ..."). A recording cut off before the name was learned cannot decide it:
`not_applicable` with the cut-off's reason, as for the criteria that need the end of the call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from qa_pipeline import nlp
from qa_pipeline.criteria.common import evidence, not_applicable, own_names, seconds, time_of
from qa_pipeline.criteria.context import CallContext
from qa_pipeline.criteria.registry import Outcome, register_criterion
from qa_pipeline.languages import ENGLISH, language
from qa_pipeline.records import AGENT, CALL_END, CUSTOMER, FAIL, PASS


@dataclass(frozen=True)
class NameUseParams:
    """`honorifics` are titles before a surname ("mr", "ms"); the word after one is
    matched at `title_similarity`, and a title alone addressing the caller counts."""

    caller_templates: tuple[str, ...]
    name_requests: tuple[str, ...]
    min_similarity: float = 0.8
    title_similarity: float = 0.6
    answer_max_words: int = 6
    not_names: tuple[str, ...] = ()
    honorifics: tuple[str, ...] = ()
    # On an outbound call the agent knows whom they call: "Is this Dennis?", "May I speak
    # with Ms. Ward?" give the name, and count as its use.
    known_name_templates: tuple[str, ...] = ()


@dataclass(frozen=True)
class CallerName:
    """The caller's name and where the agent could have learned it."""

    name: str
    learned_after: int  # utterance index; the agent's later utterances may use it (-1: known upfront)
    source: str


@dataclass(frozen=True)
class NameHit:
    index: int
    word: str
    similarity: float


@register_criterion("name_use.v1", params=NameUseParams, needs_roles=True)
def name_use(ctx: CallContext, params: NameUseParams) -> Outcome:
    """Pass when the agent says the caller's name after learning it."""
    caller = learn_caller_name(ctx, params)
    hit = find_name_use(ctx, caller, params) if caller else None
    if hit is not None:
        utterance = ctx.utterances[hit.index]
        detail = ctx._("agent called the caller '{said}' at {time} (caller's name '{name}', {source})").format(
            said=hit.word, time=seconds(time_of(utterance, hit.word)), name=caller.name, source=caller.source)
        learned = (caller.learned_after,) if caller.learned_after >= 0 else ()
        return Outcome(PASS, round(0.6 + 0.35 * hit.similarity, 3), evidence(ctx, *learned, hit.index), detail)
    address = _address_outcome(ctx, params, caller)
    if address is not None:
        return address
    if caller is None and CUSTOMER in ctx.transcript.missing:
        # The caller may well have said it: their channel is what is missing.
        return not_applicable(ctx._("the caller's name could not be learned: {reason}").format(
            reason=ctx.transcript.missing[CUSTOMER]))
    if caller is None and CALL_END in ctx.transcript.missing:
        # The recording stops before the name was learned: the agent may have learned and used it after the
        # cut. Worded as the criteria that need the end of the call are (`scoring.evaluate_criterion`).
        return not_applicable(ctx._("{reason}; this criterion needs {need}").format(
            reason=ctx.transcript.missing[CALL_END], need=ctx._("the end of the call")))
    if caller is None:
        return Outcome(FAIL, 0.7, (), _never_learned(ctx))
    ev = evidence(ctx, caller.learned_after) if caller.learned_after >= 0 else ()
    detail = ctx._("caller's name '{name}' ({source}) but the agent never used it").format(
        name=caller.name, source=caller.source)
    return Outcome(FAIL, 0.8, ev, detail)


def _never_learned(ctx: CallContext) -> str:
    """Why no name was learned, for the call's direction: on an outbound call the agent knows whom they call."""
    if ctx.outbound:
        return ctx._("the customer's name was never learned (not in metadata, not asked for by name, "
                     "not said by the customer)")
    return ctx._("the caller's name was never learned (not in metadata, not said by the caller)")


def _address_outcome(ctx: CallContext, params: NameUseParams, caller: CallerName | None) -> Outcome | None:
    """The agent addressing the caller by a name or title the rules could not tie to the
    caller's own words (ASR lost or mangled one side), after the caller first spoke."""
    own = agent_names(ctx, params)
    honorifics = frozenset(params.honorifics)
    first_customer = next((i for i, u in enumerate(ctx.utterances) if u.speaker == CUSTOMER), len(ctx.utterances))
    for i in ctx.agent_indices():
        if i < first_customer:
            continue  # nobody to address yet: "Hello, Cindy Metter" is a garbled company name
        said = [n for n in addressed_names(ctx.docs[i], frozenset(params.not_names))
                if nlp.normalise_word(n.split()[0]) not in own]
        said += title_addresses(ctx.docs[i], honorifics)
        if said:
            utterance = ctx.utterances[i]
            heard = (ctx._("the caller's name was heard as '{name}'").format(name=caller.name) if caller
                     else ctx._("the caller's own words giving the name were not heard"))
            detail = ctx._("agent addressed the caller as '{said}' at {time} ({heard})").format(
                said=said[0], time=seconds(time_of(utterance, said[0])), heard=heard)
            return Outcome(PASS, 0.6, evidence(ctx, i), detail)
    return None


def agent_names(ctx: CallContext, params: NameUseParams) -> frozenset[str]:
    """First names the agent gives as their own ("my name is Nicole"), normalised."""
    return frozenset(nlp.normalise_word(m.name.split()[0]) for i in ctx.agent_indices()
                     for m in own_names(ctx.docs[i], nlp.find_names(ctx.docs[i], params.caller_templates)))


# Words that, right before a name at the start of a phrase, mark it as a form of address: "hi Ruby".
_ADDRESS_CUES = frozenset({"thanks", "you", "hi", "hello", "hey", "bye", "sorry", "okay", "ok", "dear", "morning",
                           "afternoon", "evening", "goodbye", "cheers"})
_EDGE_PUNCT = frozenset({".", ",", "!", "?", ";", ":"})
# What a thanks is for, ending right before a name in "thank you for your time, Denis" (as tokens),
# and the words that open the next clause after such a name. Not "for calling": a company's name
# follows it ("Thank you for calling Westfield": C16, C22).
_THANKS_FOR = tuple(tuple(f.split()) for f in ("for your time", "for your help", "for your patience", "for holding"))
_CLAUSE_OPENERS = frozenset({"if", "and", "so", "but", "have", "take", "please"})
_NOT_NAME_ENTITIES = frozenset({"DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "QUANTITY", "PERCENT", "PRODUCT"})


def vocatives(doc, not_names: frozenset[str] = frozenset()) -> list[str]:
    """Words in vocative position that could be a name, one or two words long.

    The position is a phrase edge set off from the rest: after a comma or a greeting or
    thanks ("Thank you, Siobhan.", "thanks, ruby", "hi Ruby,", "We do, Emma.") and before a
    comma, a full stop or the end, or opening a sentence before a comma ("Ruby, can you
    hold?"). The entity label is not needed (the tagger calls "Siobhan" a place and leaves
    "ruby" untagged), but the word must not be a date, number or function word.
    """
    found: list[str] = []
    if doc.lang_ != ENGLISH:
        return found  # the edges are English ones ("Thank you, Siobhan."); other languages address with titles
    for token in doc:
        if not _vocative_word(token, not_names):
            continue
        two = token.i + 1 < len(doc) and _vocative_word(doc[token.i + 1], not_names) and doc[token.i + 1].pos_ == "PROPN"
        end = token.i + (2 if two else 1)
        if _left_edge(doc, token.i) and _right_edge(doc, end, _after_thanks(doc, token.i)):
            found.append(doc[token.i : end].text)
        elif token.is_sent_start and end < len(doc) and doc[end].text == "," and _opens_with_name(token):
            found.append(doc[token.i : end].text)
    return _outermost(found)


def _left_edge(doc, i: int) -> bool:
    if i == 0:
        return False
    before = doc[i - 1]
    return before.text == "," or _after_thanks(doc, i) or (
        before.lower_ in _ADDRESS_CUES and (before.i == 0 or before.is_sent_start or before.lower_ == "you"))


def _after_thanks(doc, i: int) -> bool:
    """Right after what a thanks is for ("thank you for your time Denis", "thanks for holding Ruby"),
    where the comma ASR may leave out would go."""
    return any(i >= len(f) and tuple(t.lower_ for t in doc[i - len(f) : i]) == f for f in _THANKS_FOR)


def _right_edge(doc, end: int, strong_left: bool) -> bool:
    """A phrase edge after a vocative: the end, a comma or full stop; after a thanks formula
    also a word opening the next clause ("... your time Denis if there's any issue")."""
    if end == len(doc) or doc[end].text in _EDGE_PUNCT:
        return True
    return strong_left and doc[end].lower_ in _CLAUSE_OPENERS


def _opens_with_name(token) -> bool:
    """A sentence opened by a name before a comma ("Ruby, can you hold?"), not "Thanks, ..."."""
    return token.lower_ not in _ADDRESS_CUES and (token.pos_ == "PROPN" or token.ent_type_ == "PERSON")


def _vocative_word(token, not_names: frozenset[str]) -> bool:
    if not token.is_alpha or len(token) < 2 or token.is_stop or token.lower_ in not_names:
        return False
    if token.ent_type_ in _NOT_NAME_ENTITIES or token.pos_ in ("PRON", "DET", "NUM", "AUX", "ADP", "CCONJ", "SCONJ",
                                                                 "PART", "INTJ", "VERB", "ADJ"):
        return False
    return True


def _outermost(found: list[str]) -> list[str]:
    return [n for k, n in enumerate(found) if not any(n != m and n in m for m in found[:k] + found[k + 1 :])]


def addressed_names(doc, not_names: frozenset[str] = frozenset()) -> list[str]:
    """Vocatives that are surely names without knowing the caller's: a person, place or
    proper-noun tag, or a capital in cased text, and no common English word ("Thanks, mate")."""
    out = []
    for name in vocatives(doc, not_names):
        first = name.split()[0]
        token = next(t for t in doc if t.text == first)
        common = token.lower_ in nlp.common_words() and token.ent_type_ != "PERSON"
        evidence = token.ent_type_ in ("PERSON", "GPE", "NORP", "ORG") or token.pos_ == "PROPN"
        if evidence and not common:
            out.append(name)
    return out


def title_addresses(doc, honorifics: frozenset[str]) -> list[str]:
    """Titles used to address someone: "Thank you, Ms. Ward.", "Mr. Patel, ...", "MS, or".

    A title after a preposition ("speak with Mr. Jones") or whose name is followed by a
    verb ("Mr. Smith will call you") is about someone else. Outside English a title may
    follow the name ("山田様", "山田さん"): the name before it is the address.
    """
    if doc.lang_ != ENGLISH:
        return _suffix_titles(doc, honorifics)
    found = []
    for token in doc:
        if nlp.normalise_word(token.text) not in honorifics or token.pos_ in ("VERB", "AUX"):
            continue  # "you don't want to miss it"
        if token.i > 0 and doc[token.i - 1].pos_ == "ADP":
            continue
        rest = [t for t in doc[token.i + 1 : token.i + 4] if t.text != "."]
        named = bool(rest) and rest[0].is_alpha
        follower = rest[1] if named and len(rest) > 1 else None
        if follower is not None and (follower.pos_ == "AUX" or follower.tag_ in ("MD", "VBZ", "VBD")):
            continue
        found.append(f"{token.text} {rest[0].text}" if named else token.text)
    return found


def _suffix_titles(doc, honorifics: frozenset[str]) -> list[str]:
    """Names with a title after them ("山田様"): the noun before the title, with the title."""
    lang = language(doc.lang_)
    return [doc[t.i - 1 : t.i + 1].text for t in doc
            if t.i > 0 and lang.key(t) in honorifics and doc[t.i - 1].pos_ in ("PROPN", "NOUN") and doc[t.i - 1].is_alpha]


def learn_caller_name(ctx: CallContext, params: NameUseParams) -> CallerName | None:
    """The caller's name from metadata, the caller's own words, or the answer to the agent's question.

    The agent's request stays open until the agent speaks again, so an answer split over
    two caller utterances ("Sure." "Robert Harrison.") is still heard.
    """
    if ctx.metadata.customer_name:
        return CallerName(ctx.metadata.customer_name, -1, ctx._("from call metadata"))
    not_names = frozenset(params.not_names)
    own = agent_names(ctx, params)
    asked = False
    for i, utterance in enumerate(ctx.utterances):
        doc = ctx.docs[i]
        if utterance.speaker == AGENT:
            known = _known_name(ctx, i, params, not_names, own)
            if known is not None:
                return known
            asked = bool(nlp.find_acts(doc, params.name_requests))
            continue
        if utterance.speaker != CUSTOMER:
            continue
        mentions = [m.name for m in nlp.find_names(doc, params.caller_templates, not_names)]
        mentions = [m for m in mentions or _name_sentences(doc, not_names) if not _is_own(m, own)]
        if mentions:
            return CallerName(mentions[0], i, ctx._("said by the caller at {time}").format(time=seconds(utterance.start)))
        answer = _bare_answer(doc, params, not_names) if asked else None
        if answer and not _is_own(answer, own):
            return CallerName(answer, i, ctx._("the caller's answer at {time}").format(time=seconds(utterance.start)))
    return None


def _known_name(ctx: CallContext, i: int, params: NameUseParams, not_names: frozenset[str],
                own: frozenset[str]) -> CallerName | None:
    """On an outbound call, the name the agent asks for ("Is this Dennis?"): known before the call."""
    if not ctx.outbound or not params.known_name_templates:
        return None
    honorifics = frozenset(params.honorifics)
    for mention in nlp.find_names(ctx.docs[i], params.known_name_templates, not_names | honorifics):
        if not _is_own(mention.name, own):
            at = seconds(time_of(ctx.utterances[i], mention.name))
            source = ctx._("asked for by name at {time}: the agent placed the call").format(time=at)
            return CallerName(mention.name, i - 1, source)
    return None


def _is_own(name: str, own: frozenset[str]) -> bool:
    """Whether `name` is the agent's own ("Hi Nicole" misheard as "I'm Nicole")."""
    first = nlp.normalise_word(name.split()[0])
    return any(name_similarity(first, o) >= 0.85 for o in own)


def _name_sentences(doc, not_names: frozenset[str]) -> list[str]:
    """Sentences that are only a person's name, as a caller introduces themself: "Yes, I am. Paul Green."
    ("Bye." is no name: the model must see a person.)"""
    found = []
    for sent in doc.sents:
        words = [t for t in sent if not t.is_punct]
        if 0 < len(words) <= 3 and _is_person(words) and all(_person_like(t, not_names) for t in words):
            found.append(" ".join(t.text for t in words[:2]))
    return found


def _person_like(token, not_names: frozenset[str]) -> bool:
    other_entity = token.ent_type_ not in ("", "PERSON")  # "Tuesday.", "Chicago."
    return not other_entity and nlp.looks_like_name(token, strict=True, not_names=not_names)


def _is_person(words) -> bool:
    return any(t.ent_type_ == "PERSON" for t in words)


def _bare_answer(doc, params: NameUseParams, not_names: frozenset[str]) -> str | None:
    """The name in an answer to "may I have your name?": "David Mendes.", "uh sarah",
    "Thomas Hill, and it's the number I'm calling from". It must come within the
    first `answer_max_words` words."""
    people = [e for e in doc.ents if e.label_ == "PERSON" and e.start < params.answer_max_words]
    start = people[0].start if people else 0
    names: list[str] = []
    for token in doc[start : start + params.answer_max_words]:
        if token.ent_type_ == "PERSON" or answer_name(token, not_names):
            names.append(token.text)
        elif names or not (token.is_stop or token.is_punct or token.pos_ == "INTJ"):
            break  # the name comes first, after "sure", "yes, it's", "uh"
    return " ".join(names[:2]) or None


def answer_name(token, not_names: frozenset[str] = frozenset()) -> bool:
    """Could `token`, in an answer to a name request, be the name? Not after "the"/"of"
    ("the team", "of course"), and capitalised where the text has capitals at all."""
    if not nlp.looks_like_name(token, strict=False, not_names=not_names):
        return False
    before = token.doc[token.i - 1] if token.i > 0 else None
    if before is not None and (before.pos_ in ("DET", "ADP") or before.lower_ in ("the", "of", "a", "an")):
        return False
    return not (nlp.is_cased(token.doc) and token.text[0].islower())


def find_name_use(ctx: CallContext, caller: CallerName, params: NameUseParams) -> NameHit | None:
    """The agent's first use of the caller's name after learning it (first name or surname).

    A word after a title ("Ms. Wilson") or in vocative position ("Thank you, Shivon.") is
    matched at `title_similarity`; any other word at `min_similarity`.
    """
    lang = ctx.docs[0].lang_ if ctx.docs else ENGLISH
    if lang == ENGLISH:
        parts = [p for p in (nlp.normalise_word(w) for w in caller.name.split()) if len(p) >= 2]
    else:  # by how it sounds: a Japanese name is written in kanji or kana ("加藤", "かとう"); 森 is one kanji
        parts = [_sounded(t) for t in nlp.parse([caller.name], lang)[0] if t.is_alpha]
    parts += [p for p in _name_lemmas(ctx, caller.name) if p not in parts]  # Russian: the name's lemma
    honorifics = frozenset(params.honorifics)
    for i in range(caller.learned_after + 1, len(ctx.utterances)):
        if ctx.utterances[i].speaker != AGENT:
            continue
        addressed = {nlp.normalise_word(w) for v in vocatives(ctx.docs[i], frozenset(params.not_names)) for w in v.split()}
        candidates = (_candidate_words(ctx.utterances[i].text, params.not_names, honorifics)
                      if ctx.docs[i].lang_ == ENGLISH else _candidate_tokens(ctx.docs[i], params.not_names, honorifics))
        for said, word, titled in candidates:
            loose = titled or word in addressed
            # A common word ("red") is the name ("Reed") only when spelled exactly as it.
            exact_only = word in nlp.common_words() and not titled
            score = max((1.0 if word == p else 0.0 if exact_only else name_similarity(word, p) for p in parts), default=0.0)
            if score >= (params.title_similarity if loose else params.min_similarity):
                return NameHit(i, said, score)
    return None


def _candidate_words(text: str, not_names: tuple[str, ...], honorifics: frozenset[str] = frozenset()
                     ) -> list[tuple[str, str, bool]]:
    """(as said, normalised, after a title) words of an utterance, plus neighbours joined ("Mac Donald")."""
    from spacy.lang.en.stop_words import STOP_WORDS

    said = [w.strip("'\"-") for w in re.split(r"[\s,.!?;:]+", text) if nlp.normalise_word(w)]
    normal = [nlp.normalise_word(w) for w in said]
    titled = [i > 0 and normal[i - 1] in honorifics for i in range(len(said))]
    words = list(zip(said, normal, titled))
    words += [(f"{a} {b}", na + nb, ta) for (a, na, ta), (b, nb, _) in zip(words, words[1:])]
    skip = STOP_WORDS | set(not_names) | honorifics
    return [(w, n, t) for w, n, t in words if n not in skip and len(n) >= 2]


def _candidate_tokens(doc, not_names: tuple[str, ...], honorifics: frozenset[str]) -> list[tuple[str, str, bool]]:
    """(as said, normalised, titled) words of a doc in a language without spaces between words:
    its tokens and pairs of neighbours ("山田" "太郎"); titled when a title follows ("山田様")."""
    lang = language(doc.lang_)
    skip = set(not_names) | honorifics
    words = [t for t in doc if t.is_alpha and lang.key(t) not in skip and not t.is_stop]
    titled = {t.i: t.i + 1 < len(doc) and lang.key(doc[t.i + 1]) in honorifics for t in words}
    out = [(t.text, _sounded(t), titled[t.i]) for t in words]
    out += [(a.text + b.text, _sounded(a) + _sounded(b), titled[b.i]) for a, b in zip(words, words[1:]) if b.i == a.i + 1]
    if lang.match_attr == "LEMMA":  # a name in any case form: "Николаю", "Николая" -> "николай"
        out += [(t.text, nlp.normalise_word(t.lemma_), titled[t.i]) for t in words if t.pos_ == "PROPN"]
    return [(w, n, t) for w, n, t in out if n]


def _name_lemmas(ctx: CallContext, name: str) -> list[str]:
    """The lemmas of the caller's name in a language that compares words by lemma (a name
    from metadata or the caller's words may be in any case form); [] otherwise."""
    lang = ctx.docs[0].lang_ if ctx.docs else ENGLISH
    if language(lang).match_attr != "LEMMA":
        return []
    return [nlp.normalise_word(t.lemma_) for t in nlp.parse([name], lang)[0] if t.is_alpha and t.lemma_]


def _sounded(token) -> str:
    """A word as it sounds where the tokenizer gives a reading (Sudachi's katakana: 加藤 and
    かとう are both カトウ), else as written (normalised)."""
    reading = token.morph.get("Reading")
    return nlp.normalise_word(reading[0] if reading else token.text)


def name_similarity(heard: str, name: str) -> float:
    """How likely `heard` is an ASR spelling of `name`, in [0, 1].

    The better of the spelling ratio (difflib) and, when both sound alike (equal Metaphone
    keys, from `jellyfish`) and are spelled at least 0.6 alike, a floor of 0.85:
    "Geoff"/"Jeff", "Kathryn"/"Catherine", "Rubie"/"Ruby".
    """
    heard, name = nlp.normalise_word(heard), nlp.normalise_word(name)
    if not heard or not name:
        return 0.0
    ratio = SequenceMatcher(None, heard, name).ratio()
    key_a, key_b = sound_key(heard), sound_key(name)
    if key_a == key_b and len(key_a) >= 1 and ratio >= 0.6:
        return max(ratio, 0.85)
    return ratio


def sound_key(word: str) -> str:
    """The Metaphone key of a word ("Catherine" and "Kathryn" -> "K0RN")."""
    import jellyfish

    word = nlp.normalise_word(word)
    return jellyfish.metaphone(word) if word else ""
