"""`qa-pipeline transcribe`: recordings in, speaker-labelled transcripts out."""

from __future__ import annotations

import json
from pathlib import Path, PurePath

import click

from qa_pipeline.cli.options import (
    agents_option,
    asr_time_limit_option,
    hotwords_option,
    language_option,
    redaction_settings_option,
    workers_option,
)
from qa_pipeline.cli.score import AGENT_CHANNEL, AGENT_CHANNEL_HELP, asr_options
from qa_pipeline.errors import QAPipelineError
from qa_pipeline.files import write_atomic
from qa_pipeline.records import Transcript
from qa_pipeline.report import clock

HELP = """Transcribe recordings into speaker-labelled transcripts.

Each FILE is a recording: WAV, FLAC, OGG or MP3, or (through PyAV) M4A/AAC, Opus, AMR,
WMA, CAF or the audio track of a video file. On a two-channel recording the agent
is found per call from what each side says (--agent-channel auto, the default) or set
with --agent-channel 0 (left) or 1 (right); the customer is on the other channel. A mono
recording, or one mix saved on both channels, is diarized: each word gets a speaker and
the speakers get roles (agent, customer, other) from what they say.

Without --out the transcript is printed; with --out DIR each recording is written
to DIR/<name>.json. A file that cannot be read is reported and the others go on.

--agents agents.csv with --hotwords gives Whisper the call's agent's roster names (the
agent_id from the call's metadata) and the --rubric's vocabulary as hotwords on the
agent channel, as `score` does. PII is redacted as --redact and --redaction-settings say.

\b
Examples:
  qa-pipeline transcribe call.wav
  qa-pipeline transcribe calls/*.flac --out transcripts/ --agent-channel 1
  qa-pipeline transcribe call.mp3 --model base --workers 2
  qa-pipeline transcribe sample_audio/C17.flac --agents sample_audio/agents.csv --hotwords
  qa-pipeline transcribe call.mp3 --model /models/whisper-small-ct2 --compute-type float32
"""


@click.command("transcribe", help=HELP)
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write DIR/<recording name>.json instead of printing.")
@click.option("--model", default=None,
              help="Whisper model: 'base' or 'tiny.en' (offline presets; base is multilingual and "
                   "assembled once into the model cache, tiny.en English-only and about 1.7 times as fast), "
                   "a CTranslate2 model folder, or a faster-whisper model name (downloaded; needs internet). "
                   "[default: $QA_PIPELINE_MODEL, else base]")
@click.option("--device", default="cpu", show_default=True, help="Where to run Whisper: cpu, cuda or auto.")
@click.option("--compute-type", default="int8", show_default=True,
              help="CTranslate2 compute type, e.g. int8, int8_float16, float16, float32.")
@click.option("--agent-channel", type=AGENT_CHANNEL, default="auto", show_default=True, help=AGENT_CHANNEL_HELP)
@workers_option("Recordings transcribed")
@agents_option
@hotwords_option
@click.option("--rubric", default="etiquette", show_default=True,
              help="Bundled rubric id or path to a rubric YAML whose vocabulary --hotwords gives Whisper.")
@click.option("--redact", "redact_types", default=None, metavar="TYPES",
              help="PII replaced by placeholders, as for `score --redact` (default: the settings file's; "
                   "'none' prints the raw transcript).")
@redaction_settings_option
@language_option
@asr_time_limit_option
def command(files, out_dir, model, device, compute_type, agent_channel, workers, agents, hotwords, rubric,
            redact_types, redaction_settings, language, asr_time_limit_s) -> None:
    from qa_pipeline.concurrency import default_workers, ordered_map, with_workers
    from qa_pipeline.pipeline import CallPipeline, PipelineSettings
    from qa_pipeline.redaction import load_settings
    from qa_pipeline.speech.asr import load_model
    from qa_pipeline.vocabulary import site_vocabulary

    workers = workers or default_workers()
    redaction = load_settings(redaction_settings, redact_types)
    options = with_workers(asr_options(model, agent_channel, device, compute_type, language, asr_time_limit_s), workers)
    pipeline = CallPipeline(PipelineSettings(rubric=_rubric_for_hotwords(rubric),
                                             asr_options=options, redaction=redaction,
                                             vocabulary=site_vocabulary(agents, hotwords)))
    load_model(options)  # a bad model is one error for the run, not one per file
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    results = ordered_map(lambda path: _transcribe(path, pipeline), files, workers)
    done = sum(_report_one(path, result, out_dir, index, len(files), pipeline)
               for index, (path, result) in enumerate(zip(files, results), 1))
    if len(files) > 1:
        click.echo(f"transcribed {done} of {len(files)} recordings", err=True)
    if done == 0:
        raise SystemExit(1)


def _rubric_for_hotwords(rubric: str):
    from qa_pipeline.rubric import load_rubric

    return load_rubric(rubric)


def _transcribe(path: Path, pipeline) -> Transcript | QAPipelineError:
    """The transcript (the pipeline's identify and transcribe steps), or the error that says why there is none.

    With --agents or --hotwords the call's metadata names its agent, whose roster names and
    the rubric's vocabulary go to Whisper as hotwords, as `score` does.
    """
    from qa_pipeline.pipeline import CallSource

    try:
        return pipeline.transcribe(pipeline.identify(CallSource(path, path.stem)))
    except QAPipelineError as exc:
        return exc


def _report_one(path: Path, transcript: Transcript | QAPipelineError, out_dir: Path | None, index: int,
                total: int, pipeline) -> bool:
    """Print or write one recording's transcript. The recording is named as `score`'s outputs
    name it (`CallPipeline.public_recording`: PII in the path replaced unless redaction is off)."""
    from qa_pipeline.pipeline import CallSource
    from qa_pipeline.redaction.scorecard import redact_transcript

    name = pipeline.public_recording(path)
    if total > 1:
        click.echo(f"[{index}/{total}] {name}", err=True)
    if isinstance(transcript, QAPipelineError):
        click.echo(f"error: {name}: {pipeline.failure(CallSource(path, path.stem), transcript).reason}", err=True)
        return False
    redaction = pipeline.settings.redaction
    if redaction.enabled:
        transcript = redact_transcript(transcript, redaction)
    if out_dir is None:
        click.echo(format_transcript(transcript, name))
    else:
        _write_json(transcript, name, out_dir)
    return True


def _write_json(transcript: Transcript, name: str, out_dir: Path) -> None:
    from qa_pipeline.contract import transcript_to_dict

    target = out_dir / f"{PurePath(name).stem}.json"
    write_atomic(target, json.dumps(transcript_to_dict(transcript, recording=name), indent=2) + "\n")
    click.echo(f"wrote {target}", err=True)


def _language(transcript: Transcript) -> str:
    """", language ja" (with the detection's probability), nothing for English given as such."""
    p = transcript.language_probability
    if not transcript.language or (transcript.language == "en" and p is None):
        return ""
    return f", language {transcript.language}" + ("" if p is None else f" detected at {p:.2f}")


def format_transcript(transcript: Transcript, recording: str) -> str:
    """A transcript as readable lines: speaker, start-end times, text."""
    lines = [f"# {recording} ({transcript.duration_s:.1f} s, {transcript.channels} channel(s), "
             f"model {transcript.asr_model}{_language(transcript)})"]
    roles = transcript.roles
    if roles is not None:
        where = f"agent on channel {roles.agent_channel}" if roles.agent_channel is not None else f"{roles.speakers} speaker(s)"
        lines.append(f"# roles from {roles.source}: {where}, confidence {roles.confidence:.2f}")
    lines += [f"# warning: {w}" for w in transcript.warnings]
    lines += [f"{u.speaker:<8} {clock(u.start)}-{clock(u.end)}  {u.text}" for u in transcript.utterances]
    return "\n".join(lines)
