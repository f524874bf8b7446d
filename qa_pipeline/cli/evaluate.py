"""`qa-pipeline evaluate`: run the pipeline over a labelled folder and report agreement."""

from __future__ import annotations

import json
from pathlib import Path

import click

from qa_pipeline.cli.options import (
    agents_option,
    asr_time_limit_option,
    hotwords_option,
    language_option,
    workers_option,
)
from qa_pipeline.cli.score import AGENT_CHANNEL, AGENT_CHANNEL_HELP
from qa_pipeline.errors import ConfigError

VARIANT_NAMES = {"on": "rubric as written", "off": "rules only"}


def load_labelled_calls(folder: Path) -> dict[str, dict]:
    """The calls of `folder/manifest.json`, keyed by call id (`ConfigError` when unusable)."""
    from qa_pipeline.evaluate import parse_manifest

    manifest = folder / "manifest.json"
    try:
        return parse_manifest(json.loads(manifest.read_text(encoding="utf-8")), str(manifest))
    except FileNotFoundError as exc:
        raise ConfigError(f"{manifest}: no such file; a labelled folder needs a manifest.json") from exc
    except ValueError as exc:  # JSON syntax or manifest shape
        raise ConfigError(str(exc) if str(manifest) in str(exc) else f"{manifest}: {exc}") from exc


def rubric_variants(rubric_id: str, classifiers: str, language: str | None = None) -> dict[str, object]:
    """The rubric(s) to score with, by variant: as written, rules only, or both (in `language` when given)."""
    from qa_pipeline.cli.score import run_rubric

    rubric = run_rubric(rubric_id, language)
    variants = {"on": rubric, "off": rubric.without_classifiers()}
    keys = ("on", "off") if classifiers == "compare" else (classifiers,)
    return {k: variants[k] for k in keys}


def score_labelled_calls(folder: Path, calls: dict[str, dict], rubrics: dict, pipeline, workers: int = 1):
    """Scorecards per variant per call id, and the calls that could not be scored.

    Up to `workers` calls are scored at once through `pipeline` (a `CallPipeline`, ASR
    options sized for them with `with_workers`), as `score_paths` does; progress lines,
    results and the `ConfigError` that stops the run still come in manifest order.
    """
    from qa_pipeline.concurrency import ordered_map
    from qa_pipeline.pipeline import CallSource

    cards: dict[str, dict] = {variant: {} for variant in rubrics}
    failed: dict[str, str] = {}
    items = list(calls.items())

    def score(item) -> dict | str:
        source = CallSource(folder / item[1]["file"], item[0])
        try:
            return pipeline.score_variants(source, rubrics)
        except ConfigError:
            raise
        except Exception as exc:  # noqa: BLE001 - one bad recording must not stop the evaluation
            return pipeline.failure(source, exc).reason

    for index, ((call_id, call), outcome) in enumerate(zip(items, ordered_map(score, items, workers)), start=1):
        name = pipeline.public_recording(call["file"])  # as outputs name it: PII in the name replaced
        if isinstance(outcome, str):
            failed[call_id] = outcome
            click.echo(f"[{index}/{len(calls)}] {name}  error: {outcome}", err=True)
            continue
        for variant, card in outcome.items():
            cards[variant][call_id] = card
        click.echo(f"[{index}/{len(calls)}] {name}  score {_scores(outcome)}", err=True)
    return cards, failed


def _write_cards(pipeline, folder: Path, calls: dict[str, dict], cards: dict, out: Path) -> None:
    """Each scored call's card through the pipeline's redact and write steps (no redacted audio)."""
    from qa_pipeline.pipeline import CallSource

    for call_id, card in cards.items():
        source = CallSource(folder / calls[call_id]["file"], call_id)
        pipeline.write(pipeline.redact(card, source, None), out)


def _scores(cards: dict) -> str:
    """`71.4`, or `on 71.4  off 57.1` when comparing variants."""
    shown = {k: "n/a" if c.score is None else f"{c.score:.1f}" for k, c in cards.items()}
    return next(iter(shown.values())) if len(shown) == 1 else "  ".join(f"{k} {v}" for k, v in shown.items())


def _print_text(evaluations: dict, failed: dict[str, str]) -> None:
    from qa_pipeline.evaluate import format_disagreements, format_side_by_side, format_table

    if len(evaluations) > 1:
        click.echo(format_side_by_side({VARIANT_NAMES[k]: ev for k, ev in evaluations.items()}))
    for variant, ev in evaluations.items():
        click.echo(f"\n== {VARIANT_NAMES[variant]} ==")
        click.echo(format_table(ev))
        click.echo(format_disagreements(ev))
    for call_id, reason in failed.items():
        click.echo(f"not scored: {call_id}: {reason}")


def _json_document(evaluations: dict, failed: dict[str, str]) -> dict:
    from qa_pipeline.evaluate import evaluation_to_dict

    not_scored = [{"call_id": c, "reason": r} for c, r in failed.items()]
    if len(evaluations) == 1:
        (ev,) = evaluations.values()
        return {**evaluation_to_dict(ev), "not_scored": not_scored}
    return {**{k: evaluation_to_dict(ev) for k, ev in evaluations.items()}, "not_scored": not_scored}


@click.command(help="Score a labelled folder (with manifest.json) and report agreement per criterion.")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--rubric", default="etiquette", show_default=True, help="Bundled rubric id or path to a rubric YAML.")
@click.option("--classifiers", type=click.Choice(["on", "off", "compare"]), default="on", show_default=True,
              help="Score with the rubric as written, rules only, or both side by side.")
@click.option("--model", default=None, help="Whisper model (default: $QA_PIPELINE_MODEL, else base).")
@click.option("--agent-channel", type=AGENT_CHANNEL, default="auto", show_default=True, help=AGENT_CHANNEL_HELP)
@click.option("--mixdown", is_flag=True,
              help="Mix each stereo call down to mono and score that (diarization and roles from what is "
                   "said); also prints DER against the channels, how often the agent was found, and the "
                   "diarization cost.")
@click.option("--transcripts-cache", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Keep transcripts here, keyed by audio content and model, so repeated runs skip ASR.")
@click.option("--cards", "cards_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write each call's scorecard (redacted, as `score` writes it: <call_id>.json/.html) here, "
                   "for the rubric as written.")
@agents_option
@hotwords_option
@language_option
@asr_time_limit_option
@workers_option("Calls scored", "Results and progress keep manifest order; --mixdown scores one call at a time.")
def command(folder, as_json, rubric, classifiers, model, agent_channel, mixdown, transcripts_cache, cards_dir, agents,
            hotwords, language, asr_time_limit_s, workers):
    from qa_pipeline.cli.score import asr_options, site_vocabulary
    from qa_pipeline.concurrency import default_workers, with_workers
    from qa_pipeline.evaluate import evaluate, labels_for
    from qa_pipeline.pipeline import CallPipeline, PipelineSettings

    calls = load_labelled_calls(folder)
    rubrics = rubric_variants(rubric, classifiers, language)
    workers = 1 if mixdown else workers or default_workers()
    options = asr_options(model, agent_channel, language=language, time_limit_s=asr_time_limit_s)
    settings = PipelineSettings(rubric=next(iter(rubrics.values())),
                                asr_options=options if mixdown else with_workers(options, workers),
                                vocabulary=site_vocabulary(agents, hotwords), cache_dir=transcripts_cache)
    pipeline = CallPipeline(settings)
    mixed = None
    if mixdown:
        from qa_pipeline.mixdown_eval import score_mixdowns

        cards, mixed, failed = score_mixdowns(folder, calls, rubrics, pipeline, lambda line: click.echo(line, err=True))
    else:
        cards, failed = score_labelled_calls(folder, calls, rubrics, pipeline, workers)
    if cards_dir is not None:
        _write_cards(pipeline, folder, calls, next(iter(cards.values())), cards_dir)
    labels = labels_for(calls, (c.id for c in next(iter(rubrics.values())).criteria))
    evaluations = {variant: evaluate(labels, by_call) for variant, by_call in cards.items()}
    if as_json:
        document = _json_document(evaluations, failed)
        if mixed is not None:
            from qa_pipeline.mixdown_eval import mixdown_summary

            document["mixdown"] = mixdown_summary(mixed)
        click.echo(json.dumps(document, indent=2))
    else:
        _print_text(evaluations, failed)
        if mixed is not None:
            from qa_pipeline.mixdown_eval import format_mixdown

            click.echo("\n" + format_mixdown(mixed))
    if len(failed) == len(calls):
        raise click.ClickException("no labelled call could be scored")
