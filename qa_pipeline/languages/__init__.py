"""Languages as data: what the text stages need to know of a call's language.

A call has a language ("en", "ja", ...): from its metadata, the run's ``--language``, or
Whisper's detection (``auto``). Everything language-specific that is not a rubric phrase
list lives in one frozen `Language` record per language, in the module
``qa_pipeline.languages.<code>`` as ``LANGUAGE``; `language(code)` imports it by name, so a
language is added by adding a module (and its rubric files ``rubrics/<id>.<code>.yaml``).

What a `Language` holds:

- how phrase tokens are compared (`match_attr`): spaCy's ``LOWER`` for English, ``NORM``
  (Sudachi's normalised dictionary form) for Japanese, ``LEMMA`` for inflected languages
  such as Russian, so one rubric entry covers a word's forms ("слушаю", "слушаем");
- grammar the phrase matcher reads: negators before and after a phrase, fillers, words
  that may lead a sentence, verbs of saying, quotation cues, marks and particles, question
  words and particles (all compared by `match_attr`);
- the Whisper language code, the offline Whisper model it needs (``tiny.en`` is English
  only; other languages use the multilingual ``base``), and a spaCy pipeline factory, loaded
  lazily and once per process.

`experimental` marks a language whose rubric is tested on text only, not on audio.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from qa_pipeline.errors import ConfigError

AUTO = "auto"
ENGLISH = "en"
# Below this probability of Whisper's language detection the card carries a warning.
# Whisper's own detection is a softmax over ~100 language tokens of the first 30 s; on
# clean speech it is usually above 0.9, and the mixes that confuse it (code-switching,
# music, a short "hello?") come out near 0.5 or below. 0.7 is a bound between those, not
# a calibrated figure (no labelled multilingual call set exists here yet).
DETECTION_WARN_BELOW = 0.7


@dataclass(frozen=True)
class Language:
    """One language's settings for the text and speech stages (see the module docstring).

    Word sets are compared by `match_attr` of a token: lower-case text for ``LOWER``, the
    lemma or normalised form otherwise, so they are written in that form ("ない", not "なかった").
    `negators` negate a phrase from before it (English "not", Russian "не");
    `negators_after` from right after it (Japanese "ない", "ません" ends in "ん" = "ぬ").
    `quote_particles` after a phrase, followed by a verb of saying, quote it (Japanese
    "「聞いています」と言わない"). `make_nlp` builds the spaCy pipeline (a sentence splitter
    at least); `make_tokenizer` the one that splits rubric phrases (default: `make_nlp`).
    """

    code: str
    name: str
    whisper_code: str
    asr_model: str
    make_nlp: Callable[[], Any]
    match_attr: str = "LOWER"
    negators: frozenset[str] = frozenset()
    negators_after: frozenset[str] = frozenset()
    fillers: frozenset[str] = frozenset()
    leaders: frozenset[str] = frozenset()
    saying_verbs: frozenset[str] = frozenset()
    quote_cues: frozenset[str] = frozenset()
    quote_marks: frozenset[str] = frozenset()
    quote_particles: frozenset[str] = frozenset()
    question_words: frozenset[str] = frozenset()
    question_particles: frozenset[str] = frozenset()
    # Marks that end a question (Greek writes ";", U+037E's canonical form).
    question_marks: frozenset[str] = frozenset({"?", "？"})
    # True where the spaCy pipeline parses (English): negation and quotation are read from
    # the dependency tree; otherwise from the words around a phrase.
    parsed: bool = False
    # Whether a verb of saying before a phrase quotes it ("не говорите «слушаю»"); Japanese
    # puts the verb after the quoting particle instead.
    saying_before: bool = True
    # Where a question is asked with a question word or particle at the front of its clause
    # ("сколько вас будет", "есть ли отёк"), so that a sentence ASR wrote without "?" is still
    # a question (`nlp.question_sentences`). Off where the question word sits anywhere
    # (Japanese いつでも, "any time", starts with いつ) and the final particle marks a question.
    question_word_leads: bool = False
    experimental: bool = False
    # Where a turn stops mid-sentence, read from the tokenizer's tags (`criteria.cutoff`): a last
    # word whose tag starts with one of `open_ending_tags` (Japanese conjunctive particles: から,
    # けど, て), or a (tag prefix, inflection form prefix) of `open_ending_forms`
    # (a verb or auxiliary in its continuative form: "ございませんので" ends in ダ's 連用形 で).
    open_ending_tags: tuple[str, ...] = ()
    open_ending_forms: tuple[tuple[str, str], ...] = ()
    # Last words with those tags that still say nothing (as written by ASR, which confuses them).
    open_ending_exceptions: frozenset[str] = frozenset()
    make_tokenizer: Callable[[], Any] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.match_attr not in ("LOWER", "NORM", "LEMMA"):
            raise ConfigError(f"language {self.code}: match_attr must be LOWER, NORM or LEMMA, got {self.match_attr!r}")

    def nlp(self) -> Any:
        """The language's spaCy pipeline, built once per process."""
        return _pipeline(self.code, "nlp")

    def tokenizer(self) -> Any:
        """What splits a rubric phrase into tokens comparable by `match_attr`."""
        return _pipeline(self.code, "tokenizer")

    def key(self, token: Any) -> str:
        """A token's text as phrases compare it: lower-case text, normalised form or lemma."""
        if self.match_attr == "LOWER":
            return str(token.lower_)
        value = token.norm_ if self.match_attr == "NORM" else token.lemma_
        return str(value or token.lower_).lower()


@functools.cache
def _pipeline(code: str, which: str) -> Any:
    lang = language(code)
    if which == "tokenizer" and lang.make_tokenizer is not None:
        return lang.make_tokenizer()
    return lang.make_nlp()


@functools.cache
def language(code: str) -> Language:
    """The `Language` for an ISO 639-1 code ("en", "ja"); `ConfigError` naming the known ones otherwise."""
    normal = str(code).strip().lower()
    if not normal.isascii() or not normal.isalpha() or not 2 <= len(normal) <= 3:
        raise ConfigError(f"language {code!r}: expected a language code such as {', '.join(known_languages())}")
    try:
        module = importlib.import_module(f"{__name__}.{normal}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{normal}":
            raise
        raise ConfigError(f"language {code!r} is not supported; supported: {', '.join(known_languages())}") from None
    found = getattr(module, "LANGUAGE", None)
    if not isinstance(found, Language) or found.code != normal:
        raise ConfigError(f"{module.__name__}: expected LANGUAGE = Language(code={normal!r}, ...)")
    return found


def known_languages() -> tuple[str, ...]:
    """The codes of the language modules in this package, sorted."""
    return tuple(sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")))


def checked_language(code: str | None, allow_auto: bool = False) -> str | None:
    """`code` normalised ("JA " -> "ja"), after checking a module exists for it; None stays None.

    "auto" (Whisper's detection) is allowed where `allow_auto`.
    """
    if code is None:
        return None
    normal = str(code).strip().lower()
    if allow_auto and normal == AUTO:
        return AUTO
    return language(normal).code


def sentencizer_pipeline(code: str, punct_chars: tuple[str, ...] = ()) -> Any:
    """``spacy.blank(code)`` with a rule sentence splitter (for languages without a shipped model)."""
    from qa_pipeline.lazy_imports import torch_hidden

    with torch_hidden():
        try:
            import spacy
        except ImportError:
            raise ConfigError("spaCy is not installed: pip install 'spacy>=3.8,<3.9'") from None
        try:
            nlp = spacy.blank(code)
        except ImportError as exc:
            raise ConfigError(f"spaCy's {code!r} tokenizer needs a package that is not installed ({exc})") from None
    nlp.add_pipe("sentencizer", config={"punct_chars": list(punct_chars)} if punct_chars else {})
    return nlp
