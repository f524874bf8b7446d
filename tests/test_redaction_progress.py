"""A phone number in a recording's file name never reaches the terminal: progress lines,
notes and error lines name the recording as the files written do (issue 22)."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from qa_pipeline.cli import main

pytest.importorskip("presidio_analyzer")

NUMBER = "07700900123"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A site key, so the pseudonyms this test expects are the ones the CLI writes."""
    folder = tmp_path_factory.mktemp("site")
    key = folder / "site.key"
    key.write_text("a-site-key-of-enough-bytes-0123456789\n")
    settings = folder / "redaction.yaml"
    settings.write_text(f"pseudonyms: {{key_file: {key}}}\n")
    return settings


@pytest.fixture(scope="module")
def scored(sample_audio_dir, site, tmp_path_factory):
    """A sample call copied under a name holding a phone number, a broken file and a note-worthy
    file holding others, scored with the real CLI (tiny.en)."""
    base = tmp_path_factory.mktemp("calls")
    inbox, out = base / f"inbox_{NUMBER}", base / "out"
    inbox.mkdir()
    shutil.copyfile(sample_audio_dir / "C19.wav", inbox / f"call_from_{NUMBER}.wav")
    (inbox / "call_from_07700900124.wav").write_bytes(b"this is not audio" * 100)
    (inbox / "call_from_07700900125.txt").write_text("notes")
    result = CliRunner().invoke(main, ["score", str(inbox), "--out", str(out), "--no-db", "--model", "tiny.en",
                                       "--redaction-settings", str(site)])
    return result, inbox, out


@pytest.mark.asr
def test_score_progress_names_the_recording_as_its_outputs_do(scored, site):
    from qa_pipeline.redaction import load_settings
    from qa_pipeline.redaction.filenames import public_stem

    result, _, out = scored
    assert result.exit_code == 0, result.output
    shown = result.stdout + result.stderr
    for raw in (NUMBER, "07700900124", "07700900125"):
        assert raw not in shown, shown
    public = public_stem(f"call_from_{NUMBER}", load_settings(site))
    assert (out / f"{public}.json").exists()
    assert f"{public}.wav  score " in result.stderr
    assert "error: not a readable audio file" in result.stderr
    (error,) = json.loads((out / "errors.json").read_text())
    assert error["recording"].endswith(f"{public_stem('call_from_07700900124', load_settings(site))}.wav")
    assert NUMBER not in "".join(p.name for p in out.iterdir())


def test_with_redaction_off_the_raw_name_is_shown(tmp_path):
    broken = tmp_path / f"call_from_{NUMBER}.wav"
    broken.write_bytes(b"this is not audio" * 100)
    other = tmp_path / "second.wav"
    other.write_bytes(b"this is not audio either" * 100)
    result = CliRunner().invoke(main, ["score", str(tmp_path), "--out", str(tmp_path / "out"), "--no-db",
                                       "--redact", "none"])
    assert f"call_from_{NUMBER}.wav  error: not a readable audio file" in result.stderr


@pytest.mark.asr
def test_transcribe_progress_and_files_use_the_public_name(sample_audio_dir, site, tmp_path):
    from qa_pipeline.redaction import load_settings
    from qa_pipeline.redaction.filenames import public_stem

    call = tmp_path / f"call_from_{NUMBER}.wav"
    shutil.copyfile(sample_audio_dir / "C19.wav", call)
    broken = tmp_path / "call_from_07700900124.wav"
    broken.write_bytes(b"this is not audio" * 100)
    result = CliRunner().invoke(main, ["transcribe", str(call), str(broken), "--out", str(tmp_path / "out"),
                                       "--model", "tiny.en", "--redaction-settings", str(site)])
    assert result.exit_code == 0, result.output
    assert NUMBER not in result.output + result.stderr and "07700900124" not in result.stderr
    public = public_stem(f"call_from_{NUMBER}", load_settings(site))
    written = json.loads((tmp_path / "out" / f"{public}.json").read_text())
    assert NUMBER not in written["recording"]
