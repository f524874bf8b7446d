"""Russian: ``spacy.blank("ru")`` with pymorphy3 lemmas and parts of speech; words compared by lemma.

spaCy ships no trained Russian pipeline here, and its own pymorphy3 lemmatizer needs
parts of speech from a tagger, so one component (`morphology`) takes both from pymorphy3
(the OpenCorpora dictionary of ``pymorphy3-dicts-ru``, installed from pip, nothing
downloaded at run time): its most probable analysis of each word. "Слушаю", "слушаем",
"слушайте" all carry the lemma "слушать", so one rubric entry ("слушаю") covers "Слушаю",
"Я вас слушаю" and "Слушаю вас". Names ("Николай", "Николаю", "Николая") carry their
nominative as lemma and the part of speech PROPN (pymorphy3's Name, Surn and Patr
grammemes), which is how `name_use` matches the caller's name in any case form.

There is no dependency parser: negation is "не"/"ни"/"нет"/"никогда" just before a phrase
("я вас не слушаю"), quotation is «...» or a verb of saying or a word like "фраза" before
it ("не говорите «слушаю»", "фразу слушаю вас"). A question has a "?" or the particle "ли".
"""

from __future__ import annotations

import functools
from typing import Any

from qa_pipeline.languages import Language, sentencizer_pipeline

SENTENCE_ENDS = (".", "?", "!", "…")
COMPONENT = "qa_ru_morphology"

# OpenCorpora parts of speech -> Universal POS (what the phrase matcher and names read).
_UPOS = {"NOUN": "NOUN", "ADJF": "ADJ", "ADJS": "ADJ", "COMP": "ADV", "VERB": "VERB", "INFN": "VERB",
         "PRTF": "VERB", "PRTS": "VERB", "GRND": "VERB", "NUMR": "NUM", "ADVB": "ADV", "NPRO": "PRON",
         "PRED": "ADV", "PREP": "ADP", "CONJ": "CCONJ", "PRCL": "PART", "INTJ": "INTJ"}
_NAME_GRAMMEMES = frozenset({"Name", "Surn", "Patr"})


@functools.lru_cache(maxsize=1)
def _analyzer() -> Any:
    try:
        import pymorphy3
    except ImportError:
        from qa_pipeline.errors import ConfigError

        raise ConfigError("Russian needs pymorphy3 and its dictionary: pip install pymorphy3 pymorphy3-dicts-ru") from None
    return pymorphy3.MorphAnalyzer(lang="ru")


@functools.lru_cache(maxsize=65536)
def analyse(word: str) -> tuple[str, str]:
    """(lemma, Universal POS) of one word by pymorphy3's most probable analysis; "ё" is
    written "е" in the lemma (Whisper writes either). Words in other scripts keep their
    lower-case text."""
    lower = word.lower()
    if not any("а" <= c <= "я" or c == "ё" for c in lower):
        return lower, ""
    best = _analyzer().parse(lower)[0]
    pos = "PROPN" if _NAME_GRAMMEMES & best.tag.grammemes else _UPOS.get(str(best.tag.POS), "X")
    return best.normal_form.replace("ё", "е"), pos


@functools.lru_cache(maxsize=16384)
def name_lemma(word: str, strict: bool = False) -> str:
    """The nominative of a name as pymorphy3 reads it ("Николаю", "Николая" -> "николай"),
    preferring an analysis as a first name, surname or patronymic. Without one: the most
    probable lemma, or "" where `strict`."""
    lower = word.lower()
    if not any("а" <= c <= "я" or c == "ё" for c in lower):
        return "" if strict else lower
    parses = _analyzer().parse(lower)
    # A declinable reading first: "Анне" is "Анна" in the dative before the indeclinable "Анне".
    names = sorted((p for p in parses if _NAME_GRAMMEMES & p.tag.grammemes), key=lambda p: "Fixd" in p.tag)
    named = names[0] if names else None
    if named is None and strict:
        return ""
    return (named or parses[0]).normal_form.replace("ё", "е")


def _morphology(doc: Any) -> Any:
    """Lemma and POS of each word; a capitalised word that can be a name is read as one
    ("Николаю" -> "николай" PROPN, not a common noun's form)."""
    for token in doc:
        if token.is_punct or token.is_space:
            token.lemma_ = token.text  # a phrase's "-" ("что-нибудь") compares by lemma too
            continue
        lemma, pos = analyse(token.text)
        if token.text[:1].isupper() and (named := name_lemma(token.text, strict=True)):
            lemma, pos = named, "PROPN"
        token.lemma_ = lemma
        if pos:
            token.pos_ = pos
    return doc


def load_russian() -> Any:
    """``spacy.blank("ru")``, a sentence splitter and pymorphy3's lemmas and parts of speech."""
    from spacy.language import Language as SpacyLanguage

    if COMPONENT not in SpacyLanguage.factories:
        SpacyLanguage.component(COMPONENT, func=_morphology)
    _analyzer()  # a clear ConfigError now rather than inside the pipeline
    nlp = sentencizer_pipeline("ru", SENTENCE_ENDS)
    nlp.add_pipe(COMPONENT)
    return nlp


LANGUAGE = Language(
    code="ru",
    name="Русский (Russian)",
    whisper_code="ru",
    asr_model="base",
    make_nlp=load_russian,
    match_attr="LEMMA",
    # Lemmas: "не", "ни", "нет", "никогда", "нельзя", "без" ("без лишних слов").
    negators=frozenset({"не", "ни", "нет", "никогда", "нельзя", "без", "ничто"}),
    fillers=frozenset({"э", "ээ", "эээ", "эм", "мм", "ммм", "хм", "ну", "а-а"}),
    leaders=frozenset({"так", "ну", "хорошо", "ладно", "итак", "да", "а", "и", "вот", "отлично", "понятно", "значит",
                       "здравствуйте", "алло", "ага", "угу", "конечно", "ясно", "слушайте", "скажите"}),
    # Lemmas of verbs whose object is words mentioned: "не говорите «слушаю»", "не отвечайте «слушаю»".
    saying_verbs=frozenset({"говорить", "сказать", "произносить", "произнести", "употреблять", "употребить",
                            "использовать", "писать", "написать", "избегать", "отвечать", "ответить", "называть"}),
    quote_cues=frozenset({"слово", "фраза", "выражение", "формулировка", "типа", "вроде"}),
    quote_marks=frozenset({"«", "»", '"', "“", "”", "„"}),
    question_words=frozenset({"что", "кто", "где", "когда", "почему", "зачем", "как", "какой", "сколько", "куда",
                              "откуда", "чей", "который", "каков"}),
    question_particles=frozenset({"ли", "разве", "неужели"}),
    saying_before=True,
    question_word_leads=True,
    experimental=False,
)
