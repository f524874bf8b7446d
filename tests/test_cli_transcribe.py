"""`qa-pipeline transcribe`, driven through click's CliRunner with the real model."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from qa_pipeline.cli import main
from qa_pipeline.contract import TRANSCRIPT_SCHEMA, transcript_from_dict

from _asr_helpers import clip_path, contains_phrase


def run(*args: str):
    return CliRunner().invoke(main, ["transcribe", *args])


@pytest.fixture(scope="module")
def call(tmp_path_factory):
    """A copy of the two-speaker clip as a user's recording."""
    folder = tmp_path_factory.mktemp("calls")
    return shutil.copy(clip_path("two_speakers"), folder / "call-0001.flac")


def test_help_explains_inputs_and_options():
    result = run("--help")
    assert result.exit_code == 0
    for text in ("WAV, FLAC, OGG or MP3", "--agent-channel", "--out", "--model", "--compute-type", "Examples"):
        assert text in result.output


@pytest.mark.asr
def test_prints_speaker_times_and_text(call):
    result = run(str(call))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"# {call} (18.5 s, 2 channel(s), model tiny.en)")
    assert lines[1].startswith("# roles from channels: agent on channel 0, confidence 0.9")
    assert lines[2].startswith("agent    0:00.")
    assert contains_phrase(lines[2], "my name is daniel")
    assert lines[3].startswith("customer 0:05.")


@pytest.mark.asr
def test_out_writes_one_transcript_json_per_recording(call, tmp_path):
    result = run(str(call), "--out", str(tmp_path / "json"))
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "json" / "call-0001.json").read_text())
    assert (written["schema"], written["recording"], written["asr_model"]) == (TRANSCRIPT_SCHEMA, str(call), "tiny.en")
    transcript = transcript_from_dict(written)
    assert [u.speaker for u in transcript.utterances][:2] == ["agent", "customer"]
    assert transcript.utterances[0].words


@pytest.mark.asr
def test_agent_channel_option_swaps_roles(call):
    result = run(str(call), "--agent-channel", "1")
    assert result.exit_code == 0
    utterances = [line for line in result.stdout.splitlines() if not line.startswith("#")]
    assert utterances[0].startswith("customer 0:00.")
    # What is said points to the left channel, so the fixed setting is reported, not hidden.
    assert "# warning: agent channel 1 was set, but what is said points to channel 0" in result.stdout


@pytest.mark.asr
def test_bad_file_is_reported_and_the_batch_goes_on(call, tmp_path):
    bad = tmp_path / "broken.wav"
    bad.write_text("not audio")
    result = run(str(bad), str(call), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0
    assert f"error: {bad}: not a readable audio file" in result.stderr
    assert f"[1/2] {bad}" in result.stderr and f"[2/2] {call}" in result.stderr
    assert "transcribed 1 of 2 recordings" in result.stderr
    assert (tmp_path / "out" / "call-0001.json").exists()
    assert "Traceback" not in result.output


@pytest.mark.asr
def test_exit_code_is_non_zero_when_nothing_succeeded(tmp_path):
    result = run(str(tmp_path / "missing.wav"), str(tmp_path / "gone.flac"))
    assert result.exit_code == 1
    assert f"error: {tmp_path / 'missing.wav'}: file not found" in result.stderr
    assert "transcribed 0 of 2 recordings" in result.stderr


@pytest.mark.asr
def test_unknown_model_is_one_clear_line(call):
    result = run(str(call), "--model", "no-such-model")
    assert result.exit_code != 0
    assert "Error: ASR model 'no-such-model' is neither a model folder nor a known" in result.stderr
    assert "Traceback" not in result.output


def test_agent_channel_must_be_0_or_1(call):
    result = run(str(call), "--agent-channel", "2")
    assert result.exit_code == 2
    assert "--agent-channel" in result.stderr


# --- site vocabulary and redaction settings, as for score ---------------------------------


def test_vocabulary_and_redaction_options_are_the_ones_score_has():
    import click

    from qa_pipeline.cli import score, transcribe

    def options(command):
        return {p.name: (p.opts, p.is_flag, repr(p.type), p.help) for p in command.params
                if isinstance(p, click.Option)}

    score_options, transcribe_options = options(score.command), options(transcribe.command)
    for name in ("agents", "hotwords", "redaction_settings"):
        assert transcribe_options[name] == score_options[name], name
    # --workers says what runs at once ("Recordings transcribed"), so only its help differs.
    assert transcribe_options["workers"][:3] == score_options["workers"][:3]


def test_unreadable_redaction_settings_are_one_clear_error(call, tmp_path):
    settings = tmp_path / "redaction.yaml"
    settings.write_text("- just a list\n")
    result = run(str(call), "--redaction-settings", str(settings))
    assert result.exit_code == 1
    assert f"redaction settings {settings}: expected a mapping of settings" in result.output


def test_bad_agent_roster_is_one_clear_error(call, tmp_path):
    roster = tmp_path / "agents.csv"
    roster.write_text("agent_id,name\nagent-megan,\n")
    result = run(str(call), "--agents", str(roster), "--hotwords")
    assert result.exit_code == 1
    assert f"{roster}: line 2: an agent needs both an agent_id and a name" in result.output


@pytest.mark.asr
def test_hotwords_give_whisper_the_roster_name_of_the_calls_agent(root, shipped_default):
    """C17: base, the default model, hears "Olivia here" as "I'll live you here" unless the
    agent's roster name (agent-olivia in sample_audio/metadata.csv) is a hotword."""
    call = root / "sample_audio" / "C17.flac"
    plain = run(str(call))
    hinted = run(str(call), "--agents", str(root / "sample_audio" / "agents.csv"), "--hotwords")
    assert plain.exit_code == hinted.exit_code == 0, (plain.output, hinted.output)
    opening = {name: next(line for line in r.stdout.splitlines() if line.startswith("agent "))
               for name, r in (("plain", plain), ("hinted", hinted))}
    assert "olivia" not in opening["plain"].lower()
    assert contains_phrase(opening["hinted"], "olivia here")
