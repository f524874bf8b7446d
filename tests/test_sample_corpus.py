"""The sample call corpus: coverage of the expected verdicts, the recordings on disk,
and the generator that renders dialogue scripts into telephone recordings."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from qa_pipeline import synth
from qa_pipeline.errors import ConfigError

CRITERIA = ("self_introduction", "name_use", "no_im_listening", "no_interrupting",
            "asked_questions", "no_price_before_need", "said_goodbye")
OUTCOMES = ("appointment_booked", "order_placed", "callback_agreed", "information_only",
            "customer_declined", "unresolved")
SETTINGS = ("dental clinic", "window installation", "courier", "internet provider",
            "fuel supplier", "fitness club", "legal advice", "florist", "hotel",
            "car service", "mobile operator")
MIN_EACH_VERDICT = 6


@pytest.fixture(scope="module")
def manifest(sample_audio_dir: Path) -> dict:
    return json.loads((sample_audio_dir / "manifest.json").read_text())


@pytest.fixture(scope="module")
def calls(manifest: dict) -> list[dict]:
    return manifest["calls"]


@pytest.fixture(scope="module")
def scripts(root: Path) -> dict[str, synth.CallScript]:
    loaded = (synth.load_script(p) for p in sorted((root / "scripts" / "calls").glob("*.yaml")))
    return {s.call_id: s for s in loaded}


def test_manifest_names_its_schema(manifest):
    assert manifest["schema"] == "qa-pipeline.manifest/1"


def test_corpus_has_at_least_24_calls(calls):
    assert len(calls) >= 24


@pytest.mark.parametrize("criterion", CRITERIA)
@pytest.mark.parametrize("verdict", ("pass", "fail"))
def test_each_criterion_passes_and_fails_often_enough(calls, criterion, verdict):
    count = sum(call["expected"].get(criterion) == verdict for call in calls)
    assert count >= MIN_EACH_VERDICT, f"{criterion}: only {count} calls expect {verdict}"


HANDLING_CRITERIA = ("speaking_pace", "no_forbidden_phrases", "hold_etiquette", "next_step_agreed",
                     "contact_details_asked", "thanked_for_call", "offered_further_help", "acknowledged_caller")


@pytest.mark.parametrize("criterion", HANDLING_CRITERIA)
@pytest.mark.parametrize("verdict", ("pass", "fail"))
def test_each_call_handling_criterion_passes_and_fails_often_enough(calls, criterion, verdict):
    """The call_handling criteria are labelled where the script decides them (not every call)."""
    count = sum(call["expected"].get(criterion) == verdict for call in calls)
    assert count >= 4, f"{criterion}: only {count} calls expect {verdict}"


def test_every_outcome_occurs(calls):
    assert {call["outcome"] for call in calls} == set(OUTCOMES)


def test_every_setting_occurs(calls):
    assert set(SETTINGS) <= {call["setting"] for call in calls}


def test_interruption_count_agrees_with_the_verdict(calls):
    for call in calls:
        expected = "fail" if call["interruptions"] > 0 else "pass"
        if call.get("channels") == 1:
            # A mono mix: no_interrupting is not labelled (docs/scorecard.md: not measured on a mix).
            assert "no_interrupting" not in call["expected"], call["call_id"]
            continue
        assert call["expected"]["no_interrupting"] == expected, call["call_id"]


def test_both_directions_in_stereo_and_mono(calls):
    kinds = {(call.get("direction", "inbound"), call.get("channels", 2)) for call in calls}
    assert {("inbound", 2), ("outbound", 2), ("outbound", 1)} <= kinds


def _agent_lines(script: synth.CallScript) -> list[str]:
    return [t.text.lower() for t in script.turns if t.speaker == "agent" and not t.backchannel]


# Plain-text checks that keep the hand-written verdicts honest for the criteria whose
# evidence is a fixed phrase; the other verdicts are argued in each script's comments.
VERDICT_FROM_TEXT = [
    ("no_im_listening",
     lambda lines: not any(re.search(r"\b(i'm|i am)( still| just)? listening\b|all ears", x) for x in lines)),
    # "Please don't say goodbye yet" is not a goodbye.
    ("said_goodbye",
     lambda lines: bool(re.search(r"(?<!n't say )\b((good)?bye|take care|thanks? (you )?for (calling|your time)"
                                  r"|have a \w+ day)\b", lines[-1]))),
]


@pytest.mark.parametrize(("criterion", "passes"), VERDICT_FROM_TEXT)
def test_phrase_verdicts_agree_with_the_script_text(scripts, criterion, passes):
    for script in scripts.values():
        expected = "pass" if passes(_agent_lines(script)) else "fail"
        assert script.expected[criterion] == expected, script.call_id


def test_manifest_matches_the_scripts(calls, scripts):
    assert sorted(c["call_id"] for c in calls) == sorted(scripts)
    for call in calls:
        script = scripts[call["call_id"]]
        rendered = synth.manifest_entry(script, call["duration_s"])
        assert call == rendered, f"{call['call_id']} is stale: re-run scripts/make_sample_calls.py"


@pytest.mark.parametrize(("fmt", "subtype"), [("FLAC", "PCM_16"), ("WAV", "PCM_16"),
                                                ("WAV", "ULAW"), ("MP3", "MPEG_LAYER_III")])
def test_format_is_present(sample_audio_dir, calls, fmt, subtype):
    found = {(i.format, i.subtype) for i in (sf.info(sample_audio_dir / c["file"]) for c in calls)}
    assert (fmt, subtype) in found


def test_recordings_are_8khz_of_the_stated_channels_and_length(sample_audio_dir, calls):
    for call in calls:
        audio, rate = sf.read(sample_audio_dir / call["file"], dtype="float32", always_2d=True)
        assert rate == 8000 and audio.shape[1] == call.get("channels", 2), call["file"]
        duration = len(audio) / rate
        assert 20.0 <= duration <= 180.0, f"{call['file']}: {duration:.1f} s"
        # MP3 frames pad the end a little.
        assert abs(duration - call["duration_s"]) < 0.2, call["file"]


def test_metadata_csv_lists_every_call_without_customer_names(sample_audio_dir, calls):
    with (sample_audio_dir / "metadata.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["file", "call_id", "agent_id", "call_time", "customer_name"]
    assert [(r["file"], r["call_id"], r["agent_id"], r["call_time"]) for r in rows] == \
        [(c["file"], c["call_id"], c["agent_id"], c["call_time"]) for c in calls]
    assert all(r["customer_name"] == "" for r in rows)


TINY_SCRIPT = """
call_id: T01
setting: dental clinic
agent_id: agent-anna
call_time: "2026-11-02T09:14:00"
outcome: information_only
format: flac
voices: {agent: joe, customer: ava}
interruptions: 1
expected: {self_introduction: pass}
turns:
  - {speaker: agent, text: "Good morning, my name is Anna."}
  - {speaker: customer, text: "Hello Anna, I would like to book a cleaning next week."}
  - {speaker: agent, text: "Of course.", interrupt: true, overlap: 0.8}
  - {speaker: customer, text: "Thank you."}
"""


@pytest.fixture(scope="module")
def tiny_call(tmp_path_factory) -> tuple[synth.RenderedCall, Path]:
    folder = tmp_path_factory.mktemp("tiny")
    (folder / "T01.yaml").write_text(TINY_SCRIPT)
    script = synth.load_script(folder / "T01.yaml")
    call = synth.render_call(script)
    return call, synth.write_recording(folder / script.file_name, call.audio, script.format)


def test_generator_writes_a_two_channel_8khz_file(tiny_call):
    _, path = tiny_call
    info = sf.info(path)
    assert (info.samplerate, info.channels, info.format) == (8000, 2, "FLAC")


@pytest.mark.parametrize(("turn", "loud", "quiet"), [(0, 0, 1), (3, 1, 0)])
def test_each_speaker_is_on_their_own_channel(tiny_call, turn, loud, quiet):
    call, path = tiny_call
    audio, rate = sf.read(path, dtype="float32")
    placement = call.placements[turn]
    span = audio[int(placement.start * rate): int(placement.end * rate)]
    rms = np.sqrt(np.mean(np.square(span), axis=0))
    # The other channel carries only the faint line leak (25-30 dB down).
    assert 20 * np.log10(rms[loud] / rms[quiet]) > 15


def test_interrupting_turn_overlaps_the_customer(tiny_call):
    call, _ = tiny_call
    customer, agent = call.placements[1], call.placements[2]
    assert agent.kind == "interrupt"
    assert customer.end - agent.start == pytest.approx(0.8)


def test_rendering_is_deterministic(tiny_call, tmp_path):
    call, _ = tiny_call
    (tmp_path / "T01.yaml").write_text(TINY_SCRIPT)
    again = synth.render_call(synth.load_script(tmp_path / "T01.yaml"))
    assert np.array_equal(call.audio, again.audio)


@pytest.mark.parametrize(("turns", "durations", "kinds", "starts"), [
    ((synth.Turn("agent", "a", pause=0.0), synth.Turn("customer", "b", pause=0.5)),
     [1.0, 2.0], ["turn", "turn"], [0.0, 1.5]),
    ((synth.Turn("customer", "a", pause=0.0), synth.Turn("agent", "b", interrupt=True, overlap=1.0),
      synth.Turn("customer", "c", pause=0.4)),
     [3.0, 2.0, 1.0], ["turn", "interrupt", "turn"], [0.0, 2.0, 4.4]),
    ((synth.Turn("customer", "a", pause=0.0), synth.Turn("agent", "mm-hmm", backchannel=True, at=0.5),
      synth.Turn("agent", "b", pause=0.3)),
     [4.0, 0.4, 1.0], ["turn", "backchannel", "turn"], [0.0, 1.8, 4.3]),
])
def test_layout_places_turns(turns, durations, kinds, starts):
    settings = synth.LineSettings(lead_in_s=(0.0, 0.0))
    placed = synth.layout(turns, durations, np.random.default_rng(0), settings)
    assert [p.kind for p in placed] == kinds
    assert [p.start for p in placed] == pytest.approx(starts)


def test_script_with_a_wrong_interruption_count_is_rejected(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(TINY_SCRIPT.replace("interruptions: 1", "interruptions: 0"))
    with pytest.raises(ConfigError, match="bad.yaml: interruptions is 0"):
        synth.load_script(path)
