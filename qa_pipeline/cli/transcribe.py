"""`qa-pipeline transcribe`: recordings in, speaker-labelled transcripts out."""

from __future__ import annotations

import json
from pathlib import Path

import click

from qa_pipeline.errors import QAPipelineError
from qa_pipeline.records import Transcript

HELP = """Transcribe recordings into speaker-labelled transcripts.

Each FILE is a WAV, FLAC, OGG or MP3 recording. On a two-channel recording the agent
is on --agent-channel (0 = left, the default) and the customer on the other channel;
a mono recording is transcribed with speaker 'unknown' and a warning.

Without --out the transcript is printed; with --out DIR each recording is written
to DIR/<name>.json. A file that cannot be read is reported and the others go on.

\b
Examples:
  qa-pipeline transcribe call.wav
  qa-pipeline transcribe calls/*.flac --out transcripts/ --agent-channel 1
  qa-pipeline transcribe call.mp3 --model /models/whisper-small-ct2 --compute-type float32
"""


@click.command("transcribe", help=HELP)
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write DIR/<recording name>.json instead of printing.")
@click.option("--model", default="tiny.en", show_default=True,
              help="Whisper model: 'tiny.en' (bundled, offline), a CTranslate2 model folder, "
                   "or a faster-whisper model name (downloaded; needs internet).")
@click.option("--device", default="cpu", show_default=True, help="Where to run Whisper: cpu, cuda or auto.")
@click.option("--compute-type", default="int8", show_default=True,
              help="CTranslate2 compute type, e.g. int8, int8_float16, float16, float32.")
@click.option("--agent-channel", type=click.IntRange(0, 1), default=0, show_default=True,
              help="Channel of a stereo recording that carries the agent (0 = left, 1 = right).")
@click.option("--redact", "redact_types", default=None, metavar="TYPES",
              help="PII replaced by placeholders, as for `score --redact` (default: the settings file's; "
                   "'none' prints the raw transcript).")
def command(files, out_dir, model, device, compute_type, agent_channel, redact_types) -> None:
    from qa_pipeline.redaction import load_settings
    from qa_pipeline.speech.asr import AsrOptions, load_model

    redaction = load_settings(types=redact_types)

    options = AsrOptions(model=model, device=device, compute_type=compute_type, agent_channel=agent_channel)
    load_model(options)  # a bad model is one error for the run, not one per file
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    done = sum(_transcribe_one(path, options, out_dir, index, len(files), redaction)
               for index, path in enumerate(files, 1))
    if len(files) > 1:
        click.echo(f"transcribed {done} of {len(files)} recordings", err=True)
    if done == 0:
        raise SystemExit(1)


def _transcribe_one(path: Path, options, out_dir: Path | None, index: int, total: int, redaction=None) -> bool:
    from qa_pipeline.speech.asr import transcribe_file

    if total > 1:
        click.echo(f"[{index}/{total}] {path}", err=True)
    try:
        transcript = transcribe_file(path, options)
    except QAPipelineError as exc:
        click.echo(f"error: {exc}", err=True)
        return False
    if redaction is not None and redaction.enabled:
        from qa_pipeline.redaction.scorecard import redact_transcript

        transcript = redact_transcript(transcript, redaction)
    if out_dir is None:
        click.echo(format_transcript(transcript, str(path)))
    else:
        _write_json(transcript, path, out_dir)
    return True


def _write_json(transcript: Transcript, path: Path, out_dir: Path) -> None:
    from qa_pipeline.contract import transcript_to_dict

    target = out_dir / f"{path.stem}.json"
    target.write_text(json.dumps(transcript_to_dict(transcript, recording=str(path)), indent=2) + "\n")
    click.echo(f"wrote {target}", err=True)


def format_transcript(transcript: Transcript, recording: str) -> str:
    """A transcript as readable lines: speaker, start-end times, text."""
    lines = [f"# {recording} ({transcript.duration_s:.1f} s, {transcript.channels} channel(s), "
             f"model {transcript.asr_model})"]
    lines += [f"# warning: {w}" for w in transcript.warnings]
    lines += [f"{u.speaker:<8} {_clock(u.start)}-{_clock(u.end)}  {u.text}" for u in transcript.utterances]
    return "\n".join(lines)


def _clock(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes):02d}:{rest:05.2f}"
