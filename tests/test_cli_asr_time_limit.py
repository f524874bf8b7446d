"""`--asr-time-limit-s` on score, transcribe and evaluate: the real click parser, and the real
model for the limit reaching decoding."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from qa_pipeline.cli import main
from qa_pipeline.cli.score import asr_options

from _asr_helpers import clip_path

COMMANDS = ("score", "transcribe", "evaluate")


def _args(command: str, tmp_path) -> list[str]:
    """Arguments the command accepts apart from the limit (it is refused before any is used)."""
    return {"score": ["score", str(tmp_path), "--out", str(tmp_path / "out")],
            "transcribe": ["transcribe", str(tmp_path / "call.flac")],
            "evaluate": ["evaluate", str(tmp_path)]}[command]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_says_what_the_limit_costs(command):
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for part in ("--asr-time-limit-s SECONDS", "left untranscribed", "card warns", "machine's speed and load",
                 "off by default"):
        assert part in text, (command, part)


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("value, why", [
    ("0", "expected a positive number of seconds, got '0'"),
    ("-5", "expected a positive number of seconds, got '-5'"),
    ("nan", "expected a positive number of seconds, got 'nan'"),
    ("inf", "expected a positive number of seconds, got 'inf'"),
    ("ten", "expected a number of seconds, got 'ten'"),
])
def test_bad_limits_are_refused_with_the_reason(command, value, why, tmp_path):
    result = CliRunner().invoke(main, [*_args(command, tmp_path), "--asr-time-limit-s", value])
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--asr-time-limit-s'" in result.output and why in result.output


def test_the_limit_reaches_the_asr_options():
    assert asr_options(None, "auto", time_limit_s=90.0).time_limit_s == 90.0
    assert asr_options(None, "auto").time_limit_s is None  # off by default


@pytest.mark.asr
def test_transcribe_stops_decoding_at_the_limit_and_warns(tmp_path):
    result = CliRunner().invoke(main, ["transcribe", str(clip_path("two_speakers")), "--asr-time-limit-s", "0.000001"])
    assert result.exit_code == 0, result.output
    assert "# warning: speech recognition stopped at" in result.output, result.output
