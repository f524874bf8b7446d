"""One call, once: the only place that knows the order of a call's steps.

Every entry point scores a call through `CallPipeline`: the CLI batch (`batch.score_paths`),
`qa-pipeline evaluate` (and its `--mixdown` variant), and both Prefect flows. The steps,
each run exactly once per call and each taking and returning frozen records:

    identify    metadata, content hash, roster, hotwords, call direction    -> CallPlan
    transcribe  decode, ASR, speakers, roles (or the transcript cache)      -> Transcript
    score       text annotations, criteria, metrics, score, outcome         -> Scorecard
    redact      the one output boundary: PII out of the text and the audio  -> Redacted
    write       <stem>.json, <stem>.html (and <stem>.redacted.flac)         -> files
    save        the results store                                           -> None

A `Hook` wraps every step: the CLI times steps with it, the flows make each step a
Prefect task run (as pyannote's pipelines take a `hook`). Text annotations (one spaCy
parse and one dialogue-act pass per utterance text) are shared by the roles stage and the
criteria through `annotations.call_annotations`, opened here around each call.

A recording that cannot be scored comes back from `run_safely` as a `Failure` with a
one-line reason; a `ConfigError` (missing model, broken rubric) is raised, since it would
fail every other call the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from qa_pipeline import transcript_cache
from qa_pipeline.annotations import call_annotations
from qa_pipeline.errors import ConfigError, QAPipelineError, RecordingError
from qa_pipeline.growing import settled
from qa_pipeline.metadata import read_metadata
from qa_pipeline.profiling import stage
from qa_pipeline.protocols import ScorecardStore
from qa_pipeline.records import AGENT, Audio, CallMetadata, CallOutcome, Scorecard, Transcript
from qa_pipeline.report import Failure, write_call_outputs

if TYPE_CHECKING:  # records of the stages below, named here without importing their libraries
    from qa_pipeline.redaction.settings import RedactionSettings
    from qa_pipeline.rubric import Rubric
    from qa_pipeline.speech.asr import AsrOptions
    from qa_pipeline.vocabulary import Vocabulary

log = logging.getLogger(__name__)

T = TypeVar("T")
# A hook runs one named step: hook("score", run) must call run() once and return its result.
Hook = Callable[[str, Callable[[], Any]], Any]


def timed_steps(step: str, run: Callable[[], T]) -> T:
    """The default hook: each step's wall time is counted under its name (`profiling.stage`)."""
    with stage(step):
        return run()


@dataclass(frozen=True)
class PipelineSettings:
    """What every call of a run shares.

    `asr_options` is a `speech.asr.AsrOptions` (sized for the run's workers), `rubric` a
    loaded `rubric.Rubric`, `redaction` a `redaction.RedactionSettings` (None: the site's
    settings file), `vocabulary` a `vocabulary.Vocabulary` (roster and hotwords; None:
    neither), `cache_dir` the transcript cache folder (None: no cache).
    """

    rubric: Rubric
    asr_options: AsrOptions
    redaction: RedactionSettings | None = None
    vocabulary: Vocabulary | None = None
    cache_dir: Path | None = None
    settle_s: float = 0.0  # a file changed within this many seconds is left for the next run (growing.settled)


@dataclass(frozen=True)
class CallSource:
    """A recording to score: the readable file, its output name, and how the card names it.

    `name` is what the scorecard records as the recording (the inbox URL in the flows;
    default the path). `content_sha256` may be given when the caller hashed the file already.
    """

    path: Path
    stem: str
    name: str = ""
    content_sha256: str = ""

    @property
    def recording(self) -> str:
        return self.name or str(self.path)


@dataclass(frozen=True)
class CallPlan:
    """A call after `identify`: its metadata (roster name filled in), hash, and ASR options (hotwords)."""

    source: CallSource
    metadata: CallMetadata
    content_sha256: str
    asr_options: AsrOptions


@dataclass(frozen=True)
class Redacted:
    """The scorecard as it may leave the machine, its output name, the redacted audio (if written),
    the PII times, and the counts for the batch's redaction report."""

    card: Scorecard
    stem: str  # the output name, PII in it replaced by a pseudonym (`redaction.filenames.public_stem`)
    audio: Path | None = None
    pii_spans: tuple = ()  # redaction.engine.PiiSpan with their text blanked
    report: Any = None  # redaction.report.CallRedaction


@dataclass(frozen=True)
class Scored:
    """A recording that was scored: where it came from, its output name, its (redacted) card."""

    recording: Path
    stem: str
    card: Scorecard
    content_sha256: str
    metadata: CallMetadata
    redacted_audio: Path | None = None  # DIR/<stem>.redacted.flac, when written
    pii_spans: tuple = ()  # redaction.engine.PiiSpan times (their text blanked), for the audio
    outputs: tuple[Path, ...] = ()  # the files written for this call
    redaction: Any = None  # redaction.report.CallRedaction: what was redacted, counts only


def failure_reason(exc: BaseException) -> str:
    """One line for errors.json: the reason of a `RecordingError`, else the error itself."""
    if isinstance(exc, RecordingError):
        return exc.reason
    if isinstance(exc, QAPipelineError):
        return str(exc)
    return f"unexpected {type(exc).__name__}: {exc}"


class CallPipeline:
    """Runs calls through the steps above with one run's `PipelineSettings`; safe to share between threads.

    Nothing here holds per-call state: each method takes and returns records, so calls on
    several threads share one pipeline (and one loaded Whisper model, `speech.asr.load_model`).
    """

    def __init__(self, settings: PipelineSettings, hook: Hook | None = None) -> None:
        self.settings = settings
        self.hook: Hook = hook or timed_steps

    # ------------------------------------------------------------------ whole calls

    def run(self, source: CallSource, out_dir: Path | None = None, store: ScorecardStore | None = None) -> Scored:
        """Identify, transcribe, score, redact, write (when `out_dir`) and save (when `store`) one call."""
        plan = self.identify(source)
        with call_annotations():
            transcript = self.transcribe(plan)
            card = self.score(transcript, plan)
        redacted = self.redact(card, source, out_dir)
        outputs = self.write(redacted, out_dir) if out_dir is not None else ()
        scored = Scored(source.path, redacted.stem, redacted.card, plan.content_sha256, plan.metadata,
                        redacted.audio, redacted.pii_spans, outputs, redacted.report)
        if store is not None:
            self.save(store, scored)
        return scored

    def run_safely(self, source: CallSource, out_dir: Path | None = None,
                   store: ScorecardStore | None = None) -> Scored | Failure:
        """`run`, with a recording's fault returned as a `Failure` (redacted reason); `ConfigError` raised."""
        try:
            return self.run(source, out_dir, store)
        except ConfigError:
            raise
        except Exception as exc:  # noqa: BLE001 - one bad recording must not stop a batch
            return self.failure(source, exc)

    def public_recording(self, path: Path | str) -> str:
        """How outputs name the recording at `path`: PII in it replaced (`redaction.filenames.public_path`)."""
        from qa_pipeline.redaction.filenames import public_path

        return public_path(path, self.settings.redaction)

    def failure(self, source: CallSource, exc: BaseException) -> Failure:
        """The `Failure` a run of `source` that raised `exc` reports (its reason redacted)."""
        from qa_pipeline.redaction.filenames import public_reason

        recording = self.public_recording(source.recording)
        if not isinstance(exc, QAPipelineError):
            log.error("%s: unexpected error while scoring", recording, exc_info=exc)
        return Failure(recording, public_reason(failure_reason(exc), source.recording, self.settings.redaction))

    def score_variants(self, source: CallSource, rubrics: Mapping[str, Any]) -> dict[str, Scorecard]:
        """Transcribe once and score with each named rubric (unredacted: evaluation compares verdicts).

        The site's hotwords take the vocabulary of the first rubric.
        """
        first = next(iter(rubrics.values()))
        plan = self.identify(source, first)
        with call_annotations():
            transcript = self.transcribe(plan)
            return {name: self.score(transcript, plan, rubric) for name, rubric in rubrics.items()}

    def score_audio(self, source: CallSource, audio: Audio, rubrics: Mapping[str, Any], variant: str,
                    diarizer=None) -> tuple[Transcript, dict[str, Scorecard]]:
        """Score decoded audio made from `source` (a mono mixdown: `variant="mixdown"`) with each rubric.

        The speech step is the production one (queue music, pitch rises, no-speech check);
        `diarizer(samples, rate) -> Diarization` replaces `speech.diarization.diarize`.
        """
        plan = self.identify(source, next(iter(rubrics.values())))
        with call_annotations():
            transcript = self.transcribe(plan, audio, variant, diarizer)
            return transcript, {name: self.score(transcript, plan, rubric) for name, rubric in rubrics.items()}

    # ------------------------------------------------------------------ the steps

    def identify(self, source: CallSource, rubric=None) -> CallPlan:
        """Metadata, content hash, and the site's roster name and hotwords for this call."""

        def run() -> CallPlan:
            waiting = settled(source.path, self.settings.settle_s)
            if waiting:
                raise RecordingError(str(source.path), waiting)
            metadata = read_metadata(source.path)
            sha = source.content_sha256 or transcript_cache.recording_hash(source.path)
            options = self.settings.asr_options
            if self.settings.vocabulary is not None:
                metadata, options = self.settings.vocabulary.for_call(metadata, options, rubric or self.settings.rubric)
            if metadata.direction:  # the site says who called: roles follow it rather than what is said
                options = replace(options, direction=metadata.direction)
            if metadata.language:  # the call's own language (or "auto") wins over the run's
                options = replace(options, language=metadata.language)
            return CallPlan(source, metadata, sha, options)

        return self.hook("identify", run)

    def transcribe(self, plan: CallPlan, audio: Audio | None = None, variant: str = "", diarizer=None) -> Transcript:
        """The call's transcript: from the cache when it holds this content under these settings.

        A fresh transcript is returned raw (for scoring) and cached redacted.
        """
        cache = self.settings.cache_dir
        path = None if cache is None else transcript_cache.cache_path(cache, plan.content_sha256, plan.asr_options,
                                                                       variant)

        def run() -> Transcript:
            from qa_pipeline.speech.asr import transcribe_audio, transcribe_file

            cached = transcript_cache.read_cached(path) if path is not None else None
            if cached is not None:
                return cached
            if audio is None:
                transcript = transcribe_file(plan.source.path, plan.asr_options)
            else:
                transcript = transcribe_audio(audio, plan.asr_options, diarizer)
            if path is not None:
                from qa_pipeline.redaction.scorecard import redact_transcript

                transcript_cache.write_cached(path, redact_transcript(transcript, self.settings.redaction),
                                              str(plan.source.path))
            return transcript

        return self.hook("transcribe", run)

    def score(self, transcript: Transcript, plan: CallPlan, rubric=None) -> Scorecard:
        """Criteria, metrics, score and outcome of a transcript, with the run's rubric or `rubric`.

        The text stages run one call at a time (`nlp.TEXT_LOCK`); they cost a few percent
        of a call's wall time (bench/pipeline.py).
        """
        from qa_pipeline.nlp import TEXT_LOCK
        from qa_pipeline.rubric import in_language

        def run() -> Scorecard:
            with stage("text wait"):  # another call holds the text stages
                TEXT_LOCK.acquire()
            try:
                return score_transcript_with_models(transcript, in_language(rubric or self.settings.rubric,
                                                                            transcript.language),
                                                    plan.metadata, plan.source.recording)
            finally:
                TEXT_LOCK.release()

        return self.hook("score", run)

    def redact(self, card: Scorecard, source: CallSource, out_dir: Path | None) -> Redacted:
        """PII out of the card (text, call id, recording path, output name), and silenced in
        `out_dir/<stem>.redacted.flac` when there is an out dir.

        A recording that cannot be read again (scored from a cached transcript) still gets
        its scorecard, with a warning that no redacted audio was written.
        """

        def run() -> Redacted:
            from qa_pipeline.criteria.i18n import N_, card_text
            from qa_pipeline.redaction import load_settings
            from qa_pipeline.redaction.audio import redacted_audio_path, write_redacted_audio
            from qa_pipeline.redaction.filenames import public_call_id, public_path, public_stem
            from qa_pipeline.redaction.report import summarize_call
            from qa_pipeline.redaction.scorecard import redact_scorecard

            settings = self.settings.redaction or load_settings()
            public, spans = redact_scorecard(card, settings)
            public = replace(public, call_id=public_call_id(public.call_id, settings),
                             recording=public_path(public.recording, settings))
            spans = tuple(replace(s, text="") for s in spans)
            stem = public_stem(source.stem, settings)
            audio = None
            if out_dir is not None and settings.enabled:
                try:
                    audio = write_redacted_audio(source.path, spans, redacted_audio_path(out_dir, stem),
                                                 settings.margin_s, settings.fade_s)
                except RecordingError as exc:
                    reason = exc.reason.replace(str(source.path), public.recording)
                    note = card_text(N_("no redacted audio: {reason}").format(reason=reason), card.transcript.language)
                    public = replace(public, warnings=(*public.warnings, note))
            return Redacted(public, stem, audio, spans, summarize_call(public, spans, audio is not None))

        return self.hook("redact", run)

    def write(self, redacted: Redacted, out_dir: Path) -> tuple[Path, ...]:
        """`<stem>.json` and `<stem>.html` in `out_dir`, each replaced atomically; with the redacted audio."""

        def run() -> tuple[Path, ...]:
            files = write_call_outputs(redacted.card, out_dir, redacted.stem)
            return (*files, *((redacted.audio,) if redacted.audio is not None else ()))

        return self.hook("write", run)

    def write_redaction_report(self, out_dir: Path | str, scored: Iterable[Scored], part: str | None = None) -> None:
        """`out_dir/redaction_report.json` over `scored` calls (per PII type, text and audio counts);
        nothing when redaction is off or no call was scored. With `part`, the counts are written as
        that part of a report another run merges (`redaction.report.merge_parts`)."""
        from qa_pipeline.redaction.report import write_part, write_report

        settings = self.redaction_settings
        calls = [s.redaction for s in scored if s.redaction is not None]
        if settings.enabled and calls:
            if part is None:
                write_report(out_dir, calls, settings.label)
            else:
                write_part(out_dir, part, calls)

    @property
    def redaction_settings(self) -> RedactionSettings:
        """The run's redaction settings (the bundled defaults when none were given)."""
        from qa_pipeline.redaction import load_settings

        return self.settings.redaction or load_settings()

    def save(self, store: ScorecardStore, scored: Scored, redacted_audio: str | None = None) -> None:
        """Save the card into the results store (idempotent by content and rubric).

        `redacted_audio` overrides where the store says the redacted copy is (the flows publish it first).
        """
        audio = redacted_audio or (str(scored.redacted_audio) if scored.redacted_audio else None)

        def run() -> None:
            store.save_scorecard(scored.card, scored.content_sha256, scored.card.recording,
                                 call_time=scored.metadata.call_time, redacted_audio=audio)

        return self.hook("save", run)


def score_transcript_with_models(transcript: Transcript, rubric, metadata: CallMetadata, recording: str) -> Scorecard:
    """The rules, the dialogue-act classifiers the rubric asks for, and the outcome model, on one transcript."""
    from qa_pipeline.confidence import shown_outcome
    from qa_pipeline.scoring import score_transcript

    acts = None
    if any(c.use_classifier for c in rubric.criteria):
        from qa_pipeline.classifiers.predict import predict_dialogue_acts

        with stage("classifiers"):
            acts = predict_dialogue_acts(transcript)
    with stage("criteria"):
        card = score_transcript(transcript, rubric, metadata, recording, acts)
    with stage("classifiers"):
        outcome, outcome_confidence = shown_outcome(call_outcome(transcript), transcript.asr_model)
    card = replace(card, outcome=outcome, outcome_confidence=outcome_confidence)
    if getattr(rubric, "sales", None) is not None:  # a sales rubric: the card's sales block
        from qa_pipeline.sales import sales_outcome

        with stage("sales"):
            card = replace(card, sales=sales_outcome(transcript, metadata, rubric))
    return card


def call_outcome(transcript: Transcript) -> CallOutcome | None:
    """The outcome classifier's label and probability for the call; None without agent speech or a built model."""
    from qa_pipeline.classifiers.predict import predict_outcome

    if not transcript.roles_known or not transcript.by(AGENT) or transcript.language not in ("", "en"):
        return None  # the outcome model is trained on English calls
    try:
        return predict_outcome(transcript)
    except ConfigError:  # the outcome model is optional: no model, no outcome
        return None
