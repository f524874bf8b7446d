"""Rule stage: spaCy annotation of transcript utterances.

Whisper text has unreliable casing and punctuation, so the rules here lean on
token patterns (spaCy `Matcher` over lower-cased text, see `qa_pipeline.phrases`), part of
speech and entities from ``en_core_web_sm`` and closed word classes, not on
capital letters alone. Phrase lists come from the rubric; only grammar (question
words, auxiliaries) is fixed here.

The model loads lazily, once per process.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from qa_pipeline.annotations import memoized
from qa_pipeline.languages import ENGLISH, language
from qa_pipeline.languages.en import AUX_WORDS, LEADERS, SPACY_MODEL, SUBJECTS, WH_WORDS  # noqa: F401

# Phrase matching lives in qa_pipeline.phrases; criteria reach it through this module.
from qa_pipeline.phrases import GAP, find_acts, find_phrases, is_negated, is_quoted, not_performed, word_patterns  # noqa: F401

# spaCy's shared vocabulary (StringStore) is not safe to grow from two threads at once
# ("[E084] Error assigning label ID ..."): a thread runs a spaCy pipeline or matcher (here,
# in the role cues, in Presidio) only while it holds this lock. Re-entrant: scoring holds it
# around the text stages, which parse again inside.
TEXT_LOCK = threading.RLock()

NAME_SLOT = "{name}"  # any non-stop word: the template itself says a name follows
STRICT_NAME_SLOT = "{Name}"  # needs proper-noun evidence: tag, entity or capital letter


@dataclass(frozen=True)
class NameMention:
    """A name filled into a template ("my name is {name}") inside one utterance."""

    name: str
    start_char: int
    end_char: int
    template: str


def load_nlp(lang: str = ENGLISH) -> Any:
    """The spaCy pipeline of a language (`qa_pipeline.languages`), loaded once."""
    return language(lang).nlp()


def parse(texts: Iterable[str], lang: str = ENGLISH) -> tuple[Any, ...]:
    """spaCy docs for `texts` in language `lang`, in order (shared within `call_annotations`)."""
    kind = "doc" if lang == ENGLISH else f"doc:{lang}"
    with TEXT_LOCK:
        return tuple(memoized(kind, list(texts), lambda todo: load_nlp(lang).pipe(todo)))


# --- names -----------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _template_matcher(templates: tuple[str, ...], lang: str = ENGLISH) -> Any:
    """A Matcher of name templates. Words may be inserted as in phrase lists ("my name's
    actually Bea"); the slot is one alphabetic token, found again through the match's
    alignments (see `_slot_index`)."""
    from spacy.matcher import Matcher

    matcher = Matcher(load_nlp(lang).vocab)
    for template in templates:
        before, _, after = re.split(r"(\{name\}|\{Name\})", template, maxsplit=1)
        pattern = word_patterns(before, lang) + ([dict(GAP)] if before.strip() else [])
        pattern.append({"IS_ALPHA": True})
        if after.strip():
            pattern += [dict(GAP)] + word_patterns(after, lang)
        matcher.add(template, [pattern])
    return matcher


def looks_like_name(token: Any, strict: bool, not_names: frozenset[str] = frozenset()) -> bool:
    """Could `token` be a person's name? Strict mode wants proper-noun evidence.

    Outside English (no entities, no WordNet) a name is a noun or proper noun, and strict
    mode wants the proper noun (Sudachi tags known surnames 名詞-固有名詞-人名); a Japanese
    name may be one character (森, 林). Outside strict mode an adjective counts too: Whisper
    spells a name it hears with characters that fit its sounds, and the tagger's class of
    them is chance (sample call J08: 林 "Hayashi" written 早し, tagged an adjective).
    """
    if token.doc.lang_ != ENGLISH:
        lang = language(token.doc.lang_)
        return (token.is_alpha and lang.key(token) not in not_names and token.lower_ not in not_names
                and token.pos_ in ("PROPN", "NOUN", "ADJ") and (not strict or token.pos_ == "PROPN"))
    if not token.is_alpha or len(token) < 2 or token.is_stop or token.lower_ in not_names:
        return False
    if token.ent_type_ == "PERSON":
        return True
    if token.pos_ in _CLOSED_CLASSES:
        return False
    # The tagger guesses for words it does not know ("amy" -> ADV): trust a verb or adverb
    # tag only for a dictionary word ("calling", "here").
    if token.pos_ in ("VERB", "ADV") and (token.lower_ in common_words() or token.lemma_.lower() in common_words()):
        return False
    return not strict or _proper_noun_evidence(token)


_CLOSED_CLASSES = frozenset({"AUX", "ADP", "DET", "PRON", "CCONJ", "SCONJ", "PART", "INTJ", "NUM"})


def _proper_noun_evidence(token: Any) -> bool:
    """A tag, a capital letter, or, in all-lower-case text, a word that fits nothing else."""
    if token.pos_ == "PROPN" or (token.text[0].isupper() and not token.is_sent_start):
        return True
    if token.ent_type_ or is_cased(token.doc) or token.lower_ in _adjectives():
        return False  # another kind of entity, cased text that left it lower-case, or "fine"
    before = token.doc[token.i - 1] if token.i > 0 else None
    after = token.doc[token.i + 1] if token.i + 1 < len(token.doc) else None
    if before is not None and before.pos_ == "DET":
        return False  # "the office here"
    return not (after is not None and after.pos_ in ("NOUN", "PROPN"))  # "customer service"


def is_cased(doc: Any) -> bool:
    """Whether the text has capitals beyond sentence starts and "I" (Whisper often has none)."""
    return any(t.is_alpha and t.text[0].isupper() and not t.is_sent_start and t.text != "I" for t in doc)


def find_names(doc: Any, templates: tuple[str, ...], not_names: frozenset[str] = frozenset()) -> list[NameMention]:
    """Names filled into `templates` ("my name is {name}", "{Name} speaking") in `doc`.

    A name may run to two words ("David Mendes"). A slot followed by a word from
    `not_names` ("this is Ventura Dental") is rejected: that is a company, not a person.
    """
    matcher = _template_matcher(tuple(templates), doc.lang_)
    vocab_strings = doc.vocab.strings
    found = []
    for match_id, start, end, aligned in matcher(doc, with_alignments=True):
        template = vocab_strings[match_id]
        slot = start + aligned.index(_slot_position(template, doc.lang_))
        strict = STRICT_NAME_SLOT in template
        token = doc[slot]
        if not looks_like_name(token, strict, not_names) or not_performed(doc[start:end]):
            continue  # "my name is actually Bea" also matches with "actually" in the slot
        last = slot
        nxt = doc[slot + 1] if slot + 1 < len(doc) else None
        if nxt is not None and nxt.lower_ in not_names:
            continue
        ends_with_slot = template.rstrip().endswith((NAME_SLOT, STRICT_NAME_SLOT))
        if nxt is not None and ends_with_slot and _surname(nxt, strict, not_names):
            last = slot + 1
        first = _family_name(doc, slot, strict, not_names)
        span = doc[first : last + 1]
        text = span.text if first == slot else " ".join(t.text for t in span)
        found.append(NameMention(text, span.start_char, span.end_char, template))
    return _dedupe(found)


def _family_name(doc: Any, slot: int, strict: bool, not_names: frozenset[str]) -> int:
    """Where a name filled into a slot starts: outside English, a proper noun right before the
    slot is the family name said first ("山田太郎と申します": 山田 + 太郎)."""
    if doc.lang_ == ENGLISH or slot == 0:
        return slot
    before = doc[slot - 1]
    return slot - 1 if before.pos_ == "PROPN" and looks_like_name(before, strict, not_names) else slot


@functools.lru_cache(maxsize=256)
def _slot_position(template: str, lang: str = ENGLISH) -> int:
    """Index of the slot among the template's token patterns (see `_template_matcher`)."""
    before = re.split(r"\{name\}|\{Name\}", template, maxsplit=1)[0]
    return len(word_patterns(before, lang)) + (1 if before.strip() else 0)


def _surname(token: Any, strict: bool, not_names: frozenset[str]) -> bool:
    if not looks_like_name(token, strict, not_names):
        return False
    return not strict or token.pos_ == "PROPN" or token.ent_type_ == "PERSON"


def _dedupe(found: list[NameMention]) -> list[NameMention]:
    out: dict[int, NameMention] = {}
    for m in found:
        if m.start_char not in out or len(m.name) > len(out[m.start_char].name):
            out[m.start_char] = m
    return sorted(out.values(), key=lambda m: m.start_char)


@functools.lru_cache(maxsize=4)
def _wordnet(pos: str) -> frozenset[str]:
    """WordNet lemmas of one part of speech, from the model's lemmatizer tables."""
    try:
        table = load_nlp().get_pipe("lemmatizer").lookups.get_table("lemma_index")
        return frozenset(w for w in table[pos] if w.isalpha())
    except (KeyError, ValueError):
        return frozenset()


def _adjectives() -> frozenset[str]:
    """Common English adjectives ("fine", "sorry", "great")."""
    return _wordnet("adj")


@functools.lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """English verbs, adjectives and adverbs. Nouns are left out: WordNet lists many
    first names as nouns."""
    return _wordnet("verb") | _wordnet("adj") | _wordnet("adv")


# --- questions ---------------------------------------------------------------


def question_sentences(doc: Any) -> list[Any]:
    """Sentences of `doc` that are questions: a "?" from Whisper, or interrogative syntax.

    Syntax covers wh-questions ("how long has it hurt") and auxiliary inversion
    ("could you", "do you", "is it"), after leading words like "okay so". Outside English:
    a "?" or a final question particle ("ございますか", "でしょうか").
    """
    if doc.lang_ != ENGLISH:
        return _particle_questions(doc)
    found: list[Any] = []
    for sent in _sentences(doc):
        if not (sent.text.rstrip().endswith("?") or any(map(_interrogative, _clauses(sent)))):
            continue
        if found and found[-1].end == sent.start and sent[0].lower_ == "or":
            found[-1] = doc[found[-1].start : sent.end]  # "Is it sharp? Or more of a dull ache?"
        else:
            found.append(sent)
    return found


def _clauses(sent: Any) -> list[Any]:
    """The sentence and what follows each comma in it ("Morning, Pulse, how can I help")."""
    doc = sent.doc
    return [sent] + [doc[t.i + 1 : sent.end] for t in sent if t.text == "," and t.i + 2 < sent.end]


def _sentences(doc: Any) -> list[Any]:
    """Parser sentences, split further at a "?" inside one and before a conjoined
    question ("what are you sending and where is it going")."""
    out = []
    for sent in doc.sents:
        start = sent.start
        for tok in sent:
            ends_question = tok.text == "?" and tok.i + 1 < sent.end
            if ends_question or (tok.i > start + 1 and _conjoined_question(doc, tok)):
                out.append(doc[start : tok.i + ends_question])
                start = tok.i + ends_question
        out.append(doc[start : sent.end])
    return [s for s in out if any(t.is_alpha for t in s)]


def _conjoined_question(doc: Any, tok: Any) -> bool:
    if tok.lower_ not in ("and", "or", "but") or tok.i + 2 >= len(doc):
        return False
    nxt, after = doc[tok.i + 1], doc[tok.i + 2]
    return (nxt.lower_ in WH_WORDS and _wh_question(list(doc[tok.i + 2 : tok.i + 6]))) or (
        nxt.lower_ in AUX_WORDS and after.lower_ in SUBJECTS
    )


def _interrogative(sent: Any) -> bool:
    words = [t for t in sent if not t.is_punct]
    i = 0
    while i < len(words) - 1 and words[i].lower_ in LEADERS:
        i += 1
    if i >= len(words) - 1:
        return False
    first, rest = words[i].lower_, words[i + 1 :]
    if first in WH_WORDS:
        return _wh_question(rest)
    return first in AUX_WORDS and rest[0].lower_ in SUBJECTS


def _wh_question(rest: list[Any]) -> bool:
    """After a wh-word: "how long has it hurt" is a question; "when you come in", "what I
    mean" (a subject right after the wh-word), "what a day" and "how nice" are not."""
    second = rest[0]
    if second.lower_ in ("a", "an") or second.lower_ in SUBJECTS - {"that", "this", "there", "the"}:
        return False
    if second.pos_ in ("AUX", "VERB") or second.lower_ in AUX_WORDS:
        return True
    return any(t.pos_ in ("AUX", "VERB") for t in rest[1:4])


def _particle_questions(doc: Any) -> list[Any]:
    """Sentences ending in "?" or in one of the language's question particles; where the
    language leads a question with its question word (`Language.question_word_leads`), also
    a sentence with a clause that does (Whisper often writes Russian questions with a full stop)."""
    lang = language(doc.lang_)
    found = []
    for sent in doc.sents:
        words = [t for t in sent if not t.is_punct and not t.is_space]
        if words and (sent.text.rstrip().endswith(tuple(lang.question_marks))
                      or lang.key(words[-1]) in lang.question_particles
                      or (lang.question_word_leads and any(_led_by_question_word(c, lang) for c in _clauses(sent)))):
            found.append(sent)
    return found


def _led_by_question_word(clause: Any, lang: Any) -> bool:
    """Whether `clause` opens, after the language's leading words ("ну", "хорошо"), with a
    question word or particle ("сколько ...", "разве ...") or has a particle second ("есть ли ...")."""
    words = [lang.key(t) for t in clause if not t.is_punct and not t.is_space]
    while len(words) > 1 and words[0] in lang.leaders:
        words = words[1:]
    if len(words) < 2:
        return False
    return words[0] in lang.question_words or words[0] in lang.question_particles or words[1] in lang.question_particles


# Letters of the Latin script (with its accents, which English keeps out) end here; letters
# above it (Greek, Cyrillic, kana, kanji, hangul) are kept whole.
_LATIN_END = 0x36F


def normalise_word(text: str) -> str:
    """Lower-case letters only: "Men's" -> "mens", "O'Neil," -> "oneil"; letters of other
    scripts are kept ("Николаю" -> "николаю", "山田様" -> "山田様")."""
    return "".join(c for c in text.lower() if "a" <= c <= "z" or (ord(c) > _LATIN_END and c.isalpha()))
