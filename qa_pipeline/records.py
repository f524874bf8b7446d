"""The frozen records every stage reads and writes.

Stages never mutate a record: they build a new one, or use `dataclasses.replace`.
Times are seconds from the start of the recording.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

AGENT = "agent"
CUSTOMER = "customer"
UNKNOWN = "unknown"
ROLES = (AGENT, CUSTOMER, UNKNOWN)

PASS = "pass"
FAIL = "fail"
NOT_APPLICABLE = "not_applicable"
VERDICTS = (PASS, FAIL, NOT_APPLICABLE)

SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class Audio:
    """A decoded recording: one float32 16 kHz array per channel."""

    path: str
    channels: tuple[np.ndarray, ...]
    source_rate: int
    source_format: str = ""
    source_subtype: str = ""
    sample_rate: int = SAMPLE_RATE

    @property
    def duration_s(self) -> float:
        return len(self.channels[0]) / self.sample_rate if self.channels else 0.0

    @property
    def is_stereo(self) -> bool:
        return len(self.channels) == 2


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float
    probability: float = 1.0


@dataclass(frozen=True)
class Utterance:
    """One speaker's stretch of speech between pauses."""

    speaker: str
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()
    channel: int | None = None

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Transcript:
    """Time-ordered utterances of one call, both speakers merged."""

    utterances: tuple[Utterance, ...]
    duration_s: float
    channels: int
    roles_known: bool = True
    warnings: tuple[str, ...] = ()
    asr_model: str = ""

    def by(self, speaker: str) -> tuple[Utterance, ...]:
        return tuple(u for u in self.utterances if u.speaker == speaker)


@dataclass(frozen=True)
class CallMetadata:
    """What is known about a call besides its audio (sidecar file or filename)."""

    call_id: str
    agent_id: str | None = None
    customer_name: str | None = None
    call_time: str | None = None


@dataclass(frozen=True)
class Evidence:
    speaker: str
    start: float
    end: float
    text: str

    @classmethod
    def of(cls, utterance: Utterance) -> "Evidence":
        return cls(utterance.speaker, utterance.start, utterance.end, utterance.text)


@dataclass(frozen=True)
class CriterionResult:
    """One criterion's verdict. `title` is the rubric's wording of the criterion;
    `serious_error` the error a fail means when the rubric marks it serious, else ""."""

    id: str
    verdict: str
    weight: float
    confidence: float
    evidence: tuple[Evidence, ...] = ()
    detail: str = ""
    title: str = ""
    serious_error: str = ""

    @property
    def label(self) -> str:
        """The title, or the id when the rubric gives none."""
        return self.title or self.id


@dataclass(frozen=True)
class CallMetrics:
    interruptions: int = 0
    agent_talk_s: float = 0.0
    customer_talk_s: float = 0.0
    silence_s: float = 0.0
    agent_wpm: float | None = None
    agent_questions: int = 0


@dataclass(frozen=True)
class Scorecard:
    """The supervisor's view of one call; serialised by `qa_pipeline.contract`."""

    call_id: str
    recording: str
    agent_id: str | None
    duration_s: float
    channels: int
    rubric_id: str
    rubric_version: str
    score: float | None
    criteria: tuple[CriterionResult, ...]
    metrics: CallMetrics
    transcript: Transcript
    versions: Mapping[str, str] = field(default_factory=dict)
    outcome: str | None = None
    warnings: tuple[str, ...] = ()
    call_time: str | None = None

    def result(self, criterion_id: str) -> CriterionResult | None:
        return next((c for c in self.criteria if c.id == criterion_id), None)

    @property
    def serious_errors(self) -> tuple[CriterionResult, ...]:
        """The failed criteria the rubric marks as serious errors, in rubric order."""
        return tuple(c for c in self.criteria if c.serious_error and c.verdict == FAIL)


@dataclass(frozen=True)
class DialogueAct:
    """A classifier's label for one agent utterance, with its calibrated probability."""

    label: str
    probability: float
