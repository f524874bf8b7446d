"""Rule stage: rubric phrase lists matched as spaCy token patterns, and whether a match
is the act it names.

Phrase syntax (the rubric YAML keeps plain phrases):

- words match case-insensitively, token by token: ``i'm listening``;
- between two words the speaker may insert up to ``MAX_INSERTED`` fillers, adverbs or
  commas ("I'm *still* listening", "thank you *so much* for calling", "listening*,* go
  ahead"), but never a negation ("I'm not listening" is no match);
- ``*`` stands for any one word: ``have a * day``;
- ``...`` stands for up to ``MAX_SKIPPED`` words: ``say ... again``;
- ``=word`` matches that form of the word only, by its lower-case text, where the language
  otherwise compares lemmas: Russian ``=ждите`` is the imperative "wait" of a hold, not
  "ждём" ("we look forward to seeing you"), which shares its lemma.

A phrase that matches is not always the act it names: "please don't say goodbye yet",
"I didn't say goodbye" (negated) and "we say 'I'm listening' here", "she said goodbye"
(quoted or reported) are not goodbyes. `find_acts` keeps only the matches the speaker
performs; `not_performed` says why a match is left out.

The matchers work on any spaCy Doc. Inserted adverbs need the tagger (``POS``); on a
``spacy.blank`` doc only fillers and commas may be inserted.
"""

from __future__ import annotations

import functools
from typing import Any

from qa_pipeline.languages import ENGLISH, Language, language
from qa_pipeline.languages.en import FILLERS, NEGATORS, QUOTE_CUES, QUOTE_MARKS, SAYING_VERBS

__all__ = ["FILLERS", "NEGATORS", "QUOTE_CUES", "QUOTE_MARKS", "SAYING_VERBS", "find_acts", "find_phrases",
           "is_negated", "is_quoted", "not_performed", "word_patterns"]

MAX_INSERTED = 4
MAX_SKIPPED = 4
WILDCARD = "*"
SKIP = "..."
EXACT = "="
# Punctuation a speaker's pause leaves inside a phrase; a full stop or "?" ends it. "、" is
# the Japanese comma.
INSERTED_PUNCT = frozenset({",", "-", "--", "–", "—", "...", "…", "、", "，"})
# Adverbs that may sit inside a phrase. Wh-adverbs and negations change what it says.
_NOT_INSERTED = frozenset({"how", "when", "where", "why", "whenever", "wherever", "not", "never", "n't"})
_MODALS = frozenset({"can", "could", "would", "will", "may"})
_CLIMB_DEPS = frozenset({"dobj", "ccomp", "xcomp", "attr", "oprd", "intj", "npadvmod", "pobj", "prep", "pcomp"})
_FIRST_PERSON = frozenset({"i"})
_WANTING_PERSONS = frozenset({"i", "we"})  # "we'd like to say thank you for calling"
# Negations that, right before a phrase, negate it ("not goodbye yet"); "no thank you" declines.
_NEGATING_BEFORE = frozenset({"not", "never", "n't"})


def insertable(token: Any) -> bool:
    """Whether `token` may stand between two words of a phrase: a filler, a comma or
    dash, or an adverb that is no negation or wh-word ("still", "actually", "so much")."""
    lang = language(token.doc.lang_)
    lower, key = token.lower_, lang.key(token)
    if key in lang.negators or key in lang.negators_after or lower in _NOT_INSERTED:
        return False
    return key in lang.fillers or token.text in INSERTED_PUNCT or token.pos_ == "ADV" or lower == "much"


def _register_extension() -> None:
    from spacy.tokens import Token

    if not Token.has_extension("qa_insertable"):
        Token.set_extension("qa_insertable", getter=insertable)


GAP = {"_": {"qa_insertable": True}, "OP": f"{{0,{MAX_INSERTED}}}"}


def word_patterns(phrase: str, lang: str = ENGLISH) -> list[dict]:
    """Token patterns for `phrase` in language `lang`, with an optional gap of inserted words
    at each space between its words (not inside a contraction: "i'm" stays "i" + "'m").

    Words compare by the language's `match_attr` (English: lower-case text; Japanese:
    Sudachi's normal form, so "聞いています" also matches "聞いていますよ"'s first words and
    "お電話" matches "ご電話"'s "御"). A Japanese phrase has no spaces but where the rubric
    writes one ("お電話 ありがとうございます"): only there may words be inserted.
    """
    _register_extension()
    spec = language(lang)
    attr = spec.match_attr
    pattern: list[dict] = []
    exact = {w[1:].lower() for w in phrase.split() if w.startswith(EXACT) and len(w) > 1}
    if exact:
        phrase = " ".join(w[1:] if w.startswith(EXACT) and len(w) > 1 else w for w in phrase.split())
    tokens = [t for t in spec.tokenizer()(phrase.strip()) if not t.is_space]
    for k, token in enumerate(tokens):
        if token.lower_ in exact:
            pattern.append({"LOWER": token.lower_})
        elif token.text == SKIP:
            negators = sorted(spec.negators | spec.negators_after)
            pattern.append({"IS_ALPHA": True, attr: {"NOT_IN": negators}, "OP": f"{{0,{MAX_SKIPPED}}}"})
        elif token.text == WILDCARD:
            pattern.append({"IS_ALPHA": True})
        else:
            pattern.append({attr: spec.key(token)})
        if k + 1 < len(tokens) and token.whitespace_ and SKIP not in (token.text, tokens[k + 1].text):
            pattern.append(dict(GAP))
    return pattern


@functools.lru_cache(maxsize=256)
def _matcher(vocab: Any, phrases: tuple[str, ...], lang: str = ENGLISH) -> Any:
    from spacy.matcher import Matcher

    matcher = Matcher(vocab)
    for phrase in phrases:
        if phrase.strip():
            matcher.add(phrase, [word_patterns(phrase, lang)])
    return matcher


def find_phrases(doclike: Any, phrases: tuple[str, ...] | list[str]) -> list[Any]:
    """Spans of `doclike` (a Doc or Span) that match any phrase, longest first, in order.

    Case-insensitive, with inserted fillers, adverbs and commas allowed between words (see
    the module docstring). A span's ``label_`` is the phrase it matched. Whether the
    speaker performs the act is not checked here: see `find_acts`.
    """
    if not phrases:
        return []
    from spacy.tokens import Span
    from spacy.util import filter_spans

    matcher = _matcher(doclike.doc.vocab, tuple(phrases), doclike.doc.lang_)
    offset = doclike.start if isinstance(doclike, Span) else 0
    doc = doclike.doc
    spans = [Span(doc, start + offset, end + offset, label=match_id) for match_id, start, end in matcher(doclike)]
    spans = [_trim(s) for s in spans]
    return sorted(filter_spans([s for s in spans if len(s)]), key=lambda s: s.start)


def _trim(span: Any) -> Any:
    """The span without inserted words at its edges ("goodbye," not ", goodbye")."""
    start, end = span.start, span.end
    while start < end and span.doc[start].text in INSERTED_PUNCT:
        start += 1
    while end > start and span.doc[end - 1].text in INSERTED_PUNCT:
        end -= 1
    return span.doc[start:end] if (start, end) != (span.start, span.end) else span


def find_acts(doclike: Any, phrases: tuple[str, ...] | list[str]) -> list[Any]:
    """The matches of `phrases` that the speaker performs: not negated, not quoted.

    "Thanks for calling, goodbye" is a goodbye; "please don't say goodbye yet",
    "I didn't say goodbye" and "she said goodbye" are not.
    """
    return [s for s in find_phrases(doclike, phrases) if not_performed(s) is None]


def not_performed(span: Any) -> str | None:
    """Why a phrase match is not the act it names: "negated", "quoted", or None when it is."""
    if is_negated(span):
        return "negated"
    if is_quoted(span):
        return "quoted"
    return None


def is_negated(span: Any) -> bool:
    """Whether a negation governs `span`: on its own head word ("I am never listening"),
    on the verb it is the object or complement of ("don't say goodbye", "we never say I'm
    listening"), or right before it ("not goodbye yet").

    In a language without a dependency parser (`Language.parsed` false) the words around
    the span decide: a negator just before it, or one just after it ("聞いていません").
    """
    lang = language(span.doc.lang_)
    if not lang.parsed:
        return _negated_by_words(span, lang)
    doc = span.doc
    if span.start > 0 and doc[span.start - 1].lower_ in _NEGATING_BEFORE:
        return True
    for head in _governors(span):
        outside = (c for c in head.children if not (span.start <= c.i < span.end))
        if any(c.dep_ == "neg" or (c.lower_ in NEGATORS and c.dep_ in ("advmod", "det")) for c in outside):
            return True
    return False


def is_quoted(span: Any) -> bool:
    """Whether `span` is words mentioned rather than said: inside quotation marks, after
    "the word"/"saying", or reported with a verb of saying by someone else or in the past
    ("she said goodbye", "I said goodbye to him", "we say I'm listening"). The speaker's
    own "I'd like to say thank you for calling" or "let me say goodbye" is performed.

    In a language without a dependency parser: inside quotation marks, after a quotation
    cue or a verb of saying, or followed by a quoting particle and a verb of saying or a
    cue ("「聞いています」とは言いません", "聞いていますという言葉").
    """
    lang = language(span.doc.lang_)
    if not lang.parsed:
        return _quoted_by_words(span, lang)
    doc = span.doc
    sent = span.sent
    marks = sum(1 for t in doc[sent.start : span.start] if t.text in QUOTE_MARKS and t.text not in ("'", "’"))
    if marks % 2 == 1:
        return True
    before = [t for t in doc[max(sent.start, span.start - 2) : span.start] if not t.is_punct]
    if before and before[-1].lower_ in QUOTE_CUES:
        return True
    verb = _saying_verb(span)
    return verb is not None and not _own_performative(verb)


def _governors(span: Any) -> list[Any]:
    """The words whose negation negates `span`: its own head word when that is a verb, and,
    when the span is the object or complement of a verb of saying, the verbs up to that
    one and the verb it is the complement of ("I'm not going to say goodbye"). Other
    verbs above it are left alone: in a run-on "i don't think so goodbye" the goodbye stands."""
    root = span.root
    own = [root] if root.pos_ in ("VERB", "AUX") else []
    chain, token = [], root
    for _ in range(3):
        if token.dep_ not in _CLIMB_DEPS or token.head.i == token.i:
            break
        token = token.head
        if span.start <= token.i < span.end or token.pos_ not in ("VERB", "AUX"):
            continue
        chain.append(token)
        if token.lemma_.lower() in SAYING_VERBS:
            if token.dep_ == "xcomp" and token.head.i != token.i:
                chain.append(token.head)
            return own + chain
    return own


def _saying_verb(span: Any) -> Any | None:
    inside = range(span.start, span.end)
    return next((t for t in _governors(span) if t.lemma_.lower() in SAYING_VERBS and t.i not in inside), None)


def _own_performative(verb: Any) -> bool:
    """Whether the speaker says it now: "I say", "let me say", "I'd like to say", "we want
    to say"; not "she said", "I said", "we say" (a habit) or "just say" (telling someone)."""
    if verb.tag_ in ("VBD", "VBN"):  # "I said goodbye", "I've said goodbye": reported
        return False
    subject = _subject(verb)
    if subject is not None and subject.lower_ == "you" and _asks(verb, subject):
        return True  # "could you say your name for me?": a request, not a report
    if subject is not None:
        return subject.lower_ in _FIRST_PERSON or (subject.lower_ == "me" and verb.head.lower_ == "let")
    if verb.dep_ == "xcomp" and verb.head.i != verb.i:  # "I'd like to say", "let me just say"
        wanting = _subject(verb.head)
        return verb.head.lower_ == "let" or (wanting is not None and wanting.lower_ in _WANTING_PERSONS)
    doc, i = verb.doc, verb.i
    return i > 1 and doc[i - 1].lower_ == "me" and doc[i - 2].lower_ == "let"


def _asks(verb: Any, subject: Any) -> bool:
    """A modal before the subject: "could you say ...", "can you tell ..."."""
    return any(c.dep_ == "aux" and c.lower_ in _MODALS and c.i < subject.i for c in verb.children)


def _subject(verb: Any) -> Any | None:
    return next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")), None)


# --- languages without a dependency parser: the words around a match decide ----------------

# How many words before a match a negator or a verb of saying may stand ("не слушаю", "не
# говорите «слушаю»"), and after it a negator ("聞いて-い-ない") or a verb after a quoting particle.
_WORDS_BEFORE = 2
_WORDS_AFTER = 2
_OPENING_MARKS = frozenset({"「", "『", "“", "«", "„"})
_CLOSING_MARKS = frozenset({"」", "』", "”", "»"})


def _around(span: Any, before: bool, n: int) -> list[Any]:
    """Up to `n` words of `span`'s sentence next to it (punctuation skipped, not crossed past a sentence end)."""
    sent = span.sent
    tokens = span.doc[sent.start : span.start] if before else span.doc[span.end : sent.end]
    words = [t for t in (reversed(tokens) if before else tokens) if not t.is_punct and not t.is_space]
    return words[:n]


def _negated_by_words(span: Any, lang: Language) -> bool:
    before = _around(span, True, _WORDS_BEFORE)
    after = _around(span, False, _WORDS_AFTER)
    return any(lang.key(t) in lang.negators for t in before) or any(lang.key(t) in lang.negators_after for t in after)


def _quoted_by_words(span: Any, lang: Language) -> bool:
    doc, sent = span.doc, span.sent
    head = [t.text for t in doc[sent.start : span.start]]
    opened = sum(t in _OPENING_MARKS for t in head) - sum(t in _CLOSING_MARKS for t in head)
    plain = sum(t in lang.quote_marks and t not in _OPENING_MARKS | _CLOSING_MARKS for t in head)
    if opened > 0 or plain % 2 == 1:
        return True
    before = _around(span, True, _WORDS_BEFORE)
    if before and lang.key(before[0]) in lang.quote_cues:
        return True
    if lang.saying_before and any(lang.key(t) in lang.saying_verbs for t in before):
        return True
    after = _around(span, False, _WORDS_AFTER + 1)
    if not after or lang.key(after[0]) not in lang.quote_particles:
        return False
    return any(lang.key(t) in lang.saying_verbs | lang.quote_cues for t in after[1:])
