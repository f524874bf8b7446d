"""The seams between layers, as Protocols: what a lower layer reads from an object a higher one owns.

A function that takes `asr_options`, `rubric`, `redaction`, `vocabulary` or `store` is typed
with these, so it needs no import of the module that builds the object (the speech
stage, the rubric loader, the redaction engine, the SQLAlchemy store) and mypy checks
each use. The concrete records satisfy them: `speech.asr.AsrOptions`, `rubric.Rubric`,
`redaction.settings.RedactionSettings`, `vocabulary.Vocabulary`, `store.repository.Store`
(tests/test_layering.py checks that they do).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import Field
from typing import Any, ClassVar, Protocol, TypeVar

from qa_pipeline.records import CallMetadata, Scorecard


class AsrSettings(Protocol):
    """How to transcribe (`speech.asr.AsrOptions`): the fields read outside the speech stage.

    A frozen dataclass, so a caller changes it with `dataclasses.replace`.
    """

    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]

    @property
    def model(self) -> str: ...
    @property
    def agent_channel(self) -> int | str: ...
    @property
    def diarize(self) -> bool: ...
    @property
    def agent_hotwords(self) -> str | None: ...  # faster-whisper hotwords, one string


AsrOptionsT = TypeVar("AsrOptionsT", bound=AsrSettings)


class CriterionSettings(Protocol):
    """One rubric entry (`rubric.CriterionConfig`)."""

    @property
    def id(self) -> str: ...
    @property
    def impl(self) -> str: ...
    @property
    def weight(self) -> float: ...


class RubricSpec(Protocol):
    """A loaded rubric (`rubric.Rubric`)."""

    @property
    def id(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def criteria(self) -> Sequence[CriterionSettings]: ...
    @property
    def vocabulary(self) -> tuple[str, ...]: ...


class RedactionPolicy(Protocol):
    """What to redact in one run (`redaction.settings.RedactionSettings`)."""

    @property
    def types(self) -> frozenset[str]: ...
    @property
    def enabled(self) -> bool: ...
    @property
    def label(self) -> str: ...
    @property
    def margin_s(self) -> float: ...
    @property
    def fade_s(self) -> float: ...


class SiteVocabulary(Protocol):
    """A site's roster and hotword choice (`vocabulary.Vocabulary`)."""

    @property
    def hotwords(self) -> bool: ...

    def for_call(self, metadata: CallMetadata, asr_options: AsrOptionsT,
                 rubric: RubricSpec) -> tuple[CallMetadata, AsrOptionsT]: ...


class ScorecardStore(Protocol):
    """The results store as the pipeline writes it (`store.repository.Store`)."""

    def save_scorecard(self, card: Scorecard, content_sha256: str, audio_path: str,
                       call_time: str | None = None, redacted_audio: str | None = None) -> int: ...

    def redact_scorecards(self, redact: Callable[[Scorecard], Scorecard],
                          redacted_audio: Mapping[str, str] | None = None) -> int: ...
