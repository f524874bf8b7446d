"""The frozen records every stage reads and writes.

Stages never mutate a record: they build a new one, or use `dataclasses.replace`.
Times are seconds from the start of the recording.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from qa_pipeline.catalogues import N_

AGENT = "agent"
CUSTOMER = "customer"
UNKNOWN = "unknown"
# A third voice on a mono call that is neither the agent nor the caller (an IVR, a colleague).
OTHER = "other"
# Recorded announcements and IVR prompts ("this call may be recorded"): nobody's words.
SYSTEM = "system"
ROLES = (AGENT, CUSTOMER, UNKNOWN, OTHER, SYSTEM)

# Which way a call goes: the customer called (inbound) or the agent called (outbound).
INBOUND = "inbound"
OUTBOUND = "outbound"
DIRECTIONS = (INBOUND, OUTBOUND)

PASS = "pass"
FAIL = "fail"
NOT_APPLICABLE = "not_applicable"
VERDICTS = (PASS, FAIL, NOT_APPLICABLE)

SAMPLE_RATE = 16_000

# Marks that end a sentence in Whisper's text (Whisper punctuates what it hears); the
# full-width ones end Japanese sentences.
SENTENCE_ENDS = (".", "?", "!", "。", "？", "！")
# The one warning of a transcript whose recording has a single channel (and is not diarized).
MONO_WARNING = N_(
    "mono recording: agent and customer share one channel, so speaker roles are unavailable "
    "and every utterance is labelled 'unknown'"
)


def ends_sentence(text: str) -> bool:
    """Whether `text` (a word's or an utterance's) ends a sentence: a full stop, question or exclamation mark."""
    return text.rstrip().endswith(SENTENCE_ENDS)

# What a recording can lack, for `Transcript.missing` and a criterion's `needs`.
CALL_END = "call_end"


@dataclass(frozen=True)
class Audio:
    """A decoded recording: one float32 16 kHz array per channel (from `load_audio`, a
    `speech.audio.Channel`, which reads as one and is resampled from the source when read)."""

    path: str
    channels: tuple[np.ndarray, ...]
    source_rate: int
    source_format: str = ""
    source_subtype: str = ""
    sample_rate: int = SAMPLE_RATE
    # Damage found while decoding (truncation, clipping), in words for the scorecard.
    warnings: tuple[str, ...] = ()
    # What the recording lacks, as need -> reason (e.g. CALL_END when it is truncated).
    missing: Mapping[str, str] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return len(self.channels[0]) / self.sample_rate if self.channels else 0.0

    @property
    def is_stereo(self) -> bool:
        return len(self.channels) == 2


@dataclass(frozen=True)
class Word:
    """A recognised word; `rise_st` is the pitch rise (semitones) measured where the word
    ends a sentence (see `qa_pipeline.speech.prosody`), None where not measured."""

    text: str
    start: float
    end: float
    probability: float = 1.0
    rise_st: float | None = None


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
class RoleDecision:
    """How the speakers' roles were found, for the scorecard's `roles` block.

    `source` is "channels" (one speaker per channel of a stereo recording) or
    "diarization" (a mono mix split into speakers). `agent_channel` is the channel that
    carries the agent (None for a mono mix); `confidence` (0-1) is how sure the decision
    from what the speakers said is (None when the cues were not read). `speakers` is how
    many speakers were found. `direction` is the call's direction the roles were read
    under (see `qa_pipeline.speech.direction`).
    """

    source: str
    agent_channel: int | None = None
    confidence: float | None = None
    speakers: int = 2
    # The call's direction ("inbound": the customer called; "outbound": the agent called),
    # where it came from ("speech" or "metadata") and how sure the reading is (0-1).
    direction: str | None = None
    direction_source: str | None = None
    direction_confidence: float | None = None


@dataclass(frozen=True)
class Transcript:
    """Time-ordered utterances of one call, both speakers merged."""

    utterances: tuple[Utterance, ...]
    duration_s: float
    channels: int
    roles_known: bool = True
    warnings: tuple[str, ...] = ()
    asr_model: str = ""
    # What scoring cannot see, as need -> reason: AGENT or CUSTOMER for a channel that
    # carries no speech, CALL_END for a truncated recording. Criteria needing it are
    # not_applicable with that reason.
    missing: Mapping[str, str] = field(default_factory=dict)
    roles: RoleDecision | None = None
    # The call's language ("en", "ja", ...; "" in transcripts made before languages), and
    # Whisper's probability for it when it was detected (None when it was given).
    language: str = ""
    language_probability: float | None = None

    def by(self, speaker: str) -> tuple[Utterance, ...]:
        return tuple(u for u in self.utterances if u.speaker == speaker)


@dataclass(frozen=True)
class CallMetadata:
    """What is known about a call besides its audio (sidecar file or filename)."""

    call_id: str
    agent_id: str | None = None
    customer_name: str | None = None
    call_time: str | None = None
    # The agent's name as the site knows it (an agent roster, or metadata); spellings
    # separated by "|" ("Megan|Meg"). See qa_pipeline.vocabulary.
    agent_name: str | None = None
    # "inbound" (the customer called) or "outbound" (the agent called), when the site knows.
    direction: str | None = None
    # The language spoken ("en", "ja", ...; "auto": detect it), when the site knows.
    language: str | None = None


@dataclass(frozen=True)
class Evidence:
    speaker: str
    start: float
    end: float
    text: str

    @classmethod
    def of(cls, utterance: Utterance) -> Evidence:
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
    failed_title: str = ""  # the rubric's wording of a fail ("Agent interrupted the caller"), "" if none
    # The verdict rests on poorly recognised words or sits at a rule's limit: a person should check it
    # (qa_pipeline.confidence). The verdict stands.
    needs_review: bool = False

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
class NextContact:
    """When the customer is to be contacted again: the date (ISO ``YYYY-MM-DD``) resolved
    from the `words` said ("next Tuesday") against the call's date, how sure (0-1), and where."""

    date: str
    words: str
    confidence: float
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class NextAction:
    """The customer's next step the agent holds: what, who does it ("agent" or "customer"),
    and when (ISO date and the words said; None when no time was said)."""

    what: str
    who: str
    when: str | None = None
    when_words: str | None = None


@dataclass(frozen=True)
class SalesOutcome:
    """The sales block of a scorecard (see `qa_pipeline.sales`).

    `status` is one of the rubric's call statuses or "unknown" (below the confidence the
    rubric asks for); `status_group` its group ("do_not_call", "not_decided", "call_again"
    or "unknown"); `call_again` True, False, or None when not decided; `follow_up` whether
    the call follows up an earlier contact.
    """

    status: str
    status_group: str
    call_again: bool | None
    status_confidence: float
    status_evidence: tuple[Evidence, ...] = ()
    next_contact: NextContact | None = None
    next_action: NextAction | None = None
    follow_up: bool = False


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
    rubric_sha256: str = ""  # the content hash of the rubric that scored it (Rubric.sha256)
    sales: SalesOutcome | None = None  # the sales block: only for a rubric with a `sales` section
    # The outcome classifier's probability for its label (0-1); `outcome` is None below the
    # threshold for showing it (`outcome_shown_from` of the model's calibration in qa_pipeline.confidence).
    # None without a prediction.
    outcome_confidence: float | None = None

    def result(self, criterion_id: str) -> CriterionResult | None:
        return next((c for c in self.criteria if c.id == criterion_id), None)

    @property
    def serious_errors(self) -> tuple[CriterionResult, ...]:
        """The failed criteria the rubric marks as serious errors, in rubric order."""
        return tuple(c for c in self.criteria if c.serious_error and c.verdict == FAIL)

    @property
    def needs_review(self) -> tuple[str, ...]:
        """Ids of the criteria marked for review, in rubric order."""
        return tuple(c.id for c in self.criteria if c.needs_review)


@dataclass(frozen=True)
class DialogueAct:
    """A classifier's label for one agent utterance, with its calibrated probability."""

    label: str
    probability: float


@dataclass(frozen=True)
class CallOutcome:
    """The call-outcome classifier's label for a whole call (e.g. `appointment_booked`), with its
    calibrated probability (0-1)."""

    label: str
    probability: float
