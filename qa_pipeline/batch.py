"""Scoring many recordings: find them, score each, keep going past bad ones.

`discover_recordings` → `output_stems` → `pipeline.CallPipeline.run_safely` per recording,
its failure or card entered in `report.RunOutputs` as it finishes. `score_paths` strings them
together for the CLI; the Prefect flows use the same pieces (`qa_pipeline.inbox` lists their inbox).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

from qa_pipeline.discovery import AUDIO_EXTENSIONS, discover_recordings, is_audio  # noqa: F401 (re-exported)
from qa_pipeline.pipeline import CallPipeline, CallSource, Scored
from qa_pipeline.records import Scorecard
from qa_pipeline.report import Failure, RunOutputs
from qa_pipeline.transcript_cache import safe_name

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BatchResult:
    scored: tuple[Scored, ...]
    failures: tuple[Failure, ...]
    not_saved: int = 0  # failures whose scorecard was written but not saved into the store

    @property
    def cards(self) -> tuple[Scorecard, ...]:
        return tuple(s.card for s in self.scored)




def _distinct_names(group: Sequence[Path]) -> list[str]:
    """Names for recordings sharing a stem: prefix parent folders until they differ."""
    parts = [[p for p in path.parent.parts if p not in (path.anchor, ".", "..")] for path in group]
    for depth in range(1, max(len(p) for p in parts) + 1):
        names = ["__".join([*p[-depth:], path.stem]) for p, path in zip(parts, group)]
        if len(set(names)) == len(names):
            return [safe_name(n) for n in names]
    with_suffix = [f"{'__'.join([*p, path.stem])}_{path.suffix.lstrip('.')}" for p, path in zip(parts, group)]
    return [safe_name(n) for n in with_suffix]


def output_stems(paths: Sequence[Path]) -> dict[Path, str]:
    """A distinct output file stem per recording: its own stem, unless another recording shares it."""
    groups: dict[str, list[Path]] = defaultdict(list)
    for path in paths:
        groups[safe_name(path.stem)].append(path)
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


# ---------------------------------------------------------------- many recordings


def _progress_line(index: int, total: int, name: str, outcome: Scored | Failure) -> str:
    """One progress line; `name` is the recording's file name as outputs give it (its public form)."""
    if isinstance(outcome, Failure):
        return f"[{index}/{total}] {name}  error: {outcome.reason}"
    score = outcome.card.score
    return f"[{index}/{total}] {name}  score {'n/a' if score is None else f'{score:.1f}'}"


def score_paths(inputs: Iterable[str | Path], pipeline: CallPipeline, out_dir: str | Path | None = None,
                store=None, progress: Progress | None = None, workers: int = 1) -> BatchResult:
    """Score every recording the inputs name through `pipeline`, writing per-call outputs,
    summary.csv, errors.json and redaction_report.json.

    Up to `workers` recordings are scored at once (see `qa_pipeline.concurrency`; give the
    pipeline ASR options sized for them with `with_workers`); progress, store saves and
    results still come in input order. The out folder is checked before the first call
    (`ConfigError` when it cannot be written); errors.json and summary.csv grow as calls
    finish, and a run marker says the run has not finished (`report.RunOutputs`). A call
    whose card cannot be saved into the store is a failure of that call (its files are written).
    """
    from qa_pipeline.concurrency import ordered_map

    paths = discover_recordings(inputs)
    stems = output_stems(paths)
    report = progress or (lambda line: None)
    outputs = None if out_dir is None else RunOutputs(out_dir, [pipeline.public_recording(p) for p in paths])
    if outputs is not None and outputs.previous_run:
        report(f"note: an earlier run into {out_dir} did not finish (started {outputs.previous_run.get('started_at')})")
    scored: list[Scored] = []
    failures: list[Failure] = []
    not_saved = 0
    out = None if out_dir is None else Path(out_dir)
    outcomes = ordered_map(lambda p: pipeline.run_safely(CallSource(p, stems[p]), out), paths, workers)
    for index, (path, outcome) in enumerate(zip(paths, outcomes), start=1):
        if isinstance(outcome, Scored) and store is not None:
            outcome = _saved(pipeline, store, outcome)
            not_saved += isinstance(outcome, Failure)
        report(_progress_line(index, len(paths), PurePath(pipeline.public_recording(path)).name, outcome))
        if isinstance(outcome, Failure):
            failures.append(outcome)
        else:
            scored.append(outcome)
        if outputs is not None and isinstance(outcome, Failure):
            outputs.add_failure(outcome)
        elif outputs is not None:
            outputs.add_card()
    if outputs is not None and out is not None:
        pipeline.write_redaction_report(out, scored)
        outputs.finish()
    return BatchResult(tuple(scored), tuple(failures), not_saved)


def _saved(pipeline: CallPipeline, store, scored: Scored) -> Scored | Failure:
    """`scored` once it is in the store; a `Failure` naming the store's fault otherwise."""
    try:
        pipeline.save(store, scored)
    except Exception as exc:  # noqa: BLE001 - reported as this call's failure, the batch goes on
        failure = pipeline.failure(CallSource(scored.recording, scored.stem), exc)
        return Failure(failure.recording, f"scorecard written but not saved to the results store: {failure.reason}")
    return scored

