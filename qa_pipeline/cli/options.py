"""Options that several commands share (`score`, `transcribe`, `evaluate`), defined once.

Each is a click decorator, so a command takes it as ``@agents_option`` and the
option reads the same in every command's ``--help``.
"""

from __future__ import annotations

from pathlib import Path

import click

agents_option = click.option(
    "--agents", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
    help="Agent roster CSV (agent_id,name[,aliases]): a call whose metadata names a roster agent_id gets "
         "that agent's name; self_introduction accepts it said in the opening, matched tolerantly, and "
         "--hotwords gives it to Whisper.")

hotwords_option = click.option(
    "--hotwords", is_flag=True,
    help="Give Whisper the call's agent names (from --agents or the call's metadata) and the rubric's "
         "vocabulary as hotwords on the agent channel (see docs/operations.md for what it changed on the "
         "sample calls).")

redaction_settings_option = click.option(
    "--redaction-settings", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
    help="Redaction settings YAML (default: $QA_PIPELINE_REDACTION); see docs/redaction.md.")


class LanguageChoice(click.ParamType):
    """--language: a language code with a module in `qa_pipeline.languages`, or "auto"."""

    name = "CODE|auto"

    def convert(self, value, param, ctx):
        from qa_pipeline.errors import ConfigError
        from qa_pipeline.languages import checked_language

        try:
            return checked_language(value, allow_auto=True)
        except ConfigError as exc:
            self.fail(str(exc), param, ctx)


language_option = click.option(
    "--language", type=LanguageChoice(), default=None,
    help="The calls' language: a code (en, ja, ...) or auto (Whisper detects it per call; the card records "
         "the probability and warns below 0.7). A call's metadata.csv `language` column wins. Every language "
         "runs on the multilingual base by default; a language other than English given with --model tiny.en "
         "gets base instead. The rubric's <id>.<code>.yaml is used. [default: en]")


def workers_option(what: str, note: str = ""):
    """--workers: how many `what` ("Recordings scored") run at once on one loaded model; `note` adds a sentence."""
    return click.option(
        "--workers", type=click.IntRange(min=1), default=None,
        help=f"{what} at once, sharing one Whisper model and the CPU cores.{' ' + note if note else ''} "
             "[default: $QA_PIPELINE_ASR_WORKERS, else one per core]")


def positive_seconds(value) -> float:
    """`value` ("90", "2.5") as a positive, finite number of seconds.

    Raises ValueError, with the message a user sees, for text that is no number, 0, negatives,
    "inf" and "nan". Used by the commands (`PositiveSeconds`) and the flow script's argparse.
    """
    import math

    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a number of seconds, got {value!r}") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"expected a positive number of seconds, got {value!r}")
    return seconds


class PositiveSeconds(click.ParamType):
    """A command option's `positive_seconds`."""

    name = "SECONDS"

    def convert(self, value, param, ctx):
        try:
            return positive_seconds(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


asr_time_limit_option = click.option(
    "--asr-time-limit-s", "asr_time_limit_s", type=PositiveSeconds(), default=None,
    help="Stop decoding a channel after this many seconds of decoding time (Whisper base can run at 4x real "
         "time on audio it cannot follow); the rest of that channel is left untranscribed and the card warns "
         "where it stopped. Where it stops depends on the machine's speed and load, so the same recording can "
         "get a different transcript: off by default.")
