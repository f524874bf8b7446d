"""Scoring many recordings: find them, score each, keep going past bad ones.

The pieces are small so a scheduler (the Prefect flows) can run them as separate tasks:
`discover_recordings` → `output_stems` → `score_one` per recording → `report.write_summary`.
`score_paths` strings them together for the CLI.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from qa_pipeline.discovery import AUDIO_EXTENSIONS, discover_recordings, is_audio  # noqa: F401 (re-exported)
from qa_pipeline.errors import ConfigError, QAPipelineError, RecordingError
from qa_pipeline.metadata import read_metadata
from qa_pipeline.profiling import stage
from qa_pipeline.records import AGENT, CallMetadata, Scorecard, Transcript
from qa_pipeline.report import Failure, write_call_outputs, write_summary

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Scored:
    """A recording that was scored: where it came from, its output name, its card."""

    recording: Path
    stem: str
    card: Scorecard
    content_sha256: str
    metadata: CallMetadata
    redacted_audio: Path | None = None  # DIR/<stem>.redacted.flac, when written
    pii_spans: tuple = ()  # redaction.engine.PiiSpan times (their text blanked), for the audio


@dataclass(frozen=True)
class BatchResult:
    scored: tuple[Scored, ...]
    failures: tuple[Failure, ...]

    @property
    def cards(self) -> tuple[Scorecard, ...]:
        return tuple(s.card for s in self.scored)


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name).strip("_") or "recording"


def _distinct_names(group: Sequence[Path]) -> list[str]:
    """Names for recordings sharing a stem: prefix parent folders until they differ."""
    parts = [[p for p in path.parent.parts if p not in (path.anchor, ".", "..")] for path in group]
    for depth in range(1, max(len(p) for p in parts) + 1):
        names = ["__".join([*p[-depth:], path.stem]) for p, path in zip(parts, group)]
        if len(set(names)) == len(names):
            return [_safe(n) for n in names]
    with_suffix = [f"{'__'.join([*p, path.stem])}_{path.suffix.lstrip('.')}" for p, path in zip(parts, group)]
    return [_safe(n) for n in with_suffix]


def output_stems(paths: Sequence[Path]) -> dict[Path, str]:
    """A distinct output file stem per recording: its own stem, unless another recording shares it."""
    groups: dict[str, list[Path]] = defaultdict(list)
    for path in paths:
        groups[_safe(path.stem)].append(path)
    names: dict[Path, str] = {}
    taken = {stem for stem, group in groups.items() if len(group) == 1}
    for stem, group in groups.items():
        candidates = [stem] if len(group) == 1 else _distinct_names(group)
        for path, name in zip(group, candidates):
            if len(group) > 1:
                unique, n = name, 2
                while unique in taken:
                    unique, n = f"{name}-{n}", n + 1
                name = unique
                taken.add(name)
            names[path] = name
    return names


# ---------------------------------------------------------------- one recording


def recording_hash(path: Path) -> str:
    """The recording's content hash, as a `RecordingError` if the file cannot be read."""
    from qa_pipeline.identity import content_hash
    from qa_pipeline.speech.audio import check_path

    check_path(path)  # a folder, a broken link or a pipe is reported before it is opened
    try:
        return content_hash(path)
    except FileNotFoundError as exc:
        raise RecordingError(str(path), "file not found (it disappeared while being read)") from exc
    except OSError as exc:
        raise RecordingError(str(path), f"cannot be read ({exc.strerror or exc})") from exc


def transcript_cache_path(cache_dir: Path, content_sha256: str, asr_options) -> Path:
    """Where a transcript of this content under these ASR settings is cached."""
    from qa_pipeline.speech.asr import model_label, settings_key

    label = _safe(model_label(asr_options))
    return Path(cache_dir) / f"{content_sha256}.{label}.{settings_key(asr_options)}.json"


def transcribe_cached(path: Path, asr_options, cache_dir: Path | None = None,
                      content_sha256: str | None = None, redaction=None) -> Transcript:
    """Transcribe a recording, reusing a cached transcript of the same content and model.

    The cache holds the transcript redacted (`redaction` settings, default the site's);
    the transcript returned from a fresh transcription is the raw one, for scoring.
    """
    from qa_pipeline.speech.asr import transcribe_file
    from qa_pipeline.contract import transcript_from_dict, transcript_to_dict

    if cache_dir is None:
        return transcribe_file(path, asr_options)
    cached = transcript_cache_path(cache_dir, content_sha256 or recording_hash(path), asr_options)
    if cached.is_file():
        try:
            return transcript_from_dict(json.loads(cached.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError):
            pass  # a damaged cache entry is simply redone
    transcript = transcribe_file(path, asr_options)
    cached.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a reader (or a run killed midway) never sees half a file.
    partial = cached.with_name(f"{cached.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps(transcript_to_dict(_cacheable(transcript, redaction), str(path))), encoding="utf-8")
    partial.replace(cached)
    return transcript


def _cacheable(transcript: Transcript, redaction) -> Transcript:
    from qa_pipeline.redaction.scorecard import redact_transcript

    return redact_transcript(transcript, redaction)


def redact_outputs(card: Scorecard, recording: Path, out_dir: Path | None, stem: str, redaction=None):
    """(the card to write, the redacted audio path or None): PII out of the text, silenced in
    DIR/<stem>.redacted.flac (written whenever redaction is on and there is an out dir).

    A recording that cannot be read again (scored from a cached transcript) still gets its
    scorecard, with a warning that no redacted audio was written."""
    from qa_pipeline.redaction import load_settings
    from qa_pipeline.redaction.audio import redacted_audio_path, write_redacted_audio
    from qa_pipeline.redaction.scorecard import redact_scorecard

    settings = redaction or load_settings()
    public, spans = redact_scorecard(card, settings)
    if out_dir is None or not settings.enabled:
        return public, None
    try:
        audio = write_redacted_audio(recording, spans, redacted_audio_path(out_dir, stem),
                                     settings.margin_s, settings.fade_s)
    except RecordingError as exc:
        return replace(public, warnings=(*public.warnings, f"no redacted audio: {exc.reason}")), None
    return public, audio


def call_outcome(transcript: Transcript) -> str | None:
    """The outcome classifier's label for the call; None without agent speech or a built model."""
    from qa_pipeline.classifiers.predict import predict_outcome

    if not transcript.roles_known or not transcript.by(AGENT):
        return None
    try:
        return predict_outcome(transcript).label
    except ConfigError:  # the outcome model is optional: no model, no outcome
        return None


def score_call(transcript: Transcript, rubric, metadata: CallMetadata, recording: str) -> Scorecard:
    """Score a transcript with the rules, the dialogue-act classifiers the rubric asks for, and the outcome model.

    Safe to call from several threads: the text stages run one call at a time
    (`nlp.TEXT_LOCK`); they cost a few percent of a call's wall time (bench/pipeline.py).
    """
    from qa_pipeline.nlp import TEXT_LOCK

    with stage("text wait"):  # another call holds the text stages
        TEXT_LOCK.acquire()
    try:
        return _score_call(transcript, rubric, metadata, recording)
    finally:
        TEXT_LOCK.release()


def _score_call(transcript: Transcript, rubric, metadata: CallMetadata, recording: str) -> Scorecard:
    from qa_pipeline.scoring import score_transcript

    acts = None
    if any(c.use_classifier for c in rubric.criteria):
        from qa_pipeline.classifiers.predict import predict_dialogue_acts

        with stage("classifiers"):
            acts = predict_dialogue_acts(transcript)
    with stage("criteria"):
        card = score_transcript(transcript, rubric, metadata, recording, acts)
    with stage("classifiers"):
        outcome = call_outcome(transcript)
    return replace(card, outcome=outcome)


def score_variants(path: str | Path, rubrics: Mapping[str, Any], asr_options,
                   cache_dir: Path | None = None, vocabulary=None) -> dict[str, Scorecard]:
    """Transcribe a recording once and score it with each named rubric (to compare rubric variants).

    `vocabulary` (a `qa_pipeline.vocabulary.Vocabulary`) takes its terms from the first rubric.
    """
    path = Path(path)
    metadata = read_metadata(path)
    if vocabulary is not None:
        metadata, asr_options = vocabulary.for_call(metadata, asr_options, next(iter(rubrics.values())))
    transcript = transcribe_cached(path, asr_options, cache_dir, recording_hash(path) if cache_dir else None)
    return {name: score_call(transcript, rubric, metadata, str(path)) for name, rubric in rubrics.items()}


def failure_reason(exc: Exception) -> str:
    """One line for errors.json: the reason of a `RecordingError`, else the error itself."""
    if isinstance(exc, RecordingError):
        return exc.reason
    if isinstance(exc, QAPipelineError):
        return str(exc)
    return f"unexpected {type(exc).__name__}: {exc}"


def score_one(path: Path, stem: str, rubric, asr_options, out_dir: Path | None = None,
              cache_dir: Path | None = None, vocabulary=None, redaction=None) -> Scored | Failure:
    """Score one recording and write its outputs; a failure comes back as a `Failure`.

    `vocabulary` (a `qa_pipeline.vocabulary.Vocabulary`) adds the site's agent roster and hotwords.

    A `ConfigError` (missing model, broken rubric) is raised instead: it is no fault of
    this recording and would fail every other one the same way.
    """
    try:
        with stage("hash, metadata"):
            metadata = read_metadata(path)
            sha = recording_hash(path)
        if vocabulary is not None:
            metadata, asr_options = vocabulary.for_call(metadata, asr_options, rubric)
        transcript = transcribe_cached(path, asr_options, cache_dir, sha, redaction)
        card = score_call(transcript, rubric, metadata, str(path))
        with stage("redaction"):
            card, redacted_audio = redact_outputs(card, path, out_dir, stem, redaction)
        if out_dir is not None:
            with stage("outputs"):
                write_call_outputs(card, out_dir, stem)
    except ConfigError:
        raise
    except Exception as exc:  # noqa: BLE001 - one bad recording must not stop a batch
        if not isinstance(exc, QAPipelineError):
            log.error("%s: unexpected error while scoring", path, exc_info=exc)
        from qa_pipeline.redaction.scorecard import redact_text

        return Failure(str(path), redact_text(failure_reason(exc), redaction))
    return Scored(path, stem, card, sha, metadata, redacted_audio)


def save_to_store(store, scored: Scored) -> None:
    """Save a scored call into the results store (idempotent by content and rubric)."""
    store.save_scorecard(scored.card, scored.content_sha256, str(scored.recording),
                         call_time=scored.metadata.call_time,
                         redacted_audio=str(scored.redacted_audio) if scored.redacted_audio else None)


def _progress_line(index: int, total: int, path: Path, outcome: Scored | Failure) -> str:
    if isinstance(outcome, Failure):
        return f"[{index}/{total}] {path.name}  error: {outcome.reason}"
    score = outcome.card.score
    return f"[{index}/{total}] {path.name}  score {'n/a' if score is None else f'{score:.1f}'}"


def score_paths(inputs: Iterable[str | Path], rubric, asr_options, out_dir: str | Path | None = None,
                store=None, progress: Progress | None = None, cache_dir: Path | None = None,
                workers: int = 1, vocabulary=None, redaction=None) -> BatchResult:
    """Score every recording the inputs name, writing per-call outputs, summary.csv and errors.json.

    Up to `workers` recordings are scored at once (see `qa_pipeline.concurrency`; give
    `asr_options` sized for them with `with_workers`); progress, store saves and results
    still come in input order.
    """
    from qa_pipeline.concurrency import ordered_map

    paths = discover_recordings(inputs)
    stems = output_stems(paths)
    out = None if out_dir is None else Path(out_dir)
    report = progress or (lambda line: None)
    scored: list[Scored] = []
    failures: list[Failure] = []
    outcomes = ordered_map(lambda p: score_one(p, stems[p], rubric, asr_options, out, cache_dir, vocabulary, redaction),
                           paths, workers)
    for index, (path, outcome) in enumerate(zip(paths, outcomes), start=1):
        report(_progress_line(index, len(paths), path, outcome))
        if isinstance(outcome, Failure):
            failures.append(outcome)
            continue
        scored.append(outcome)
        if store is not None:
            try:
                save_to_store(store, outcome)
            # A store failure leaves the written scorecard valid: say so and go on.
            except Exception as exc:  # noqa: BLE001
                report(f"        not saved to the results store: {failure_reason(exc)}")
    if out is not None:
        write_summary([s.card for s in scored], failures, out)
    return BatchResult(tuple(scored), tuple(failures))
