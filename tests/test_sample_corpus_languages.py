"""The Japanese and Russian sample calls (sample_audio_ja/, sample_audio_ru/): labels that
agree with their scripts, recordings on disk, and the voices that render them."""

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

LANGUAGES = ("ja", "ru")
CRITERIA = ("self_introduction", "name_use", "no_im_listening", "no_interrupting",
            "asked_questions", "no_price_before_need", "said_goodbye")
# call_handling's own criteria: labelled from the scripts too, left out only where a script
# says why (a plan change as a next step, a caller turn one character short of counting).
HANDLING = ("speaking_pace", "no_forbidden_phrases", "hold_etiquette", "next_step_agreed", "contact_details_asked",
            "thanked_for_call", "offered_further_help", "acknowledged_caller")
VERDICTS = ("pass", "fail", "not_applicable")
# The outcome labels of the English corpus (tests/test_sample_corpus.py), so evaluate compares like with like.
OUTCOMES = {"appointment_booked", "order_placed", "callback_agreed", "information_only",
            "customer_declined", "unresolved"}


def _folder(root: Path, language: str) -> Path:
    return root / f"sample_audio_{language}"


def _calls(root: Path, language: str) -> list[dict]:
    return json.loads((_folder(root, language) / "manifest.json").read_text(encoding="utf-8"))["calls"]


def _scripts(root: Path, language: str) -> dict[str, synth.CallScript]:
    loaded = (synth.load_script(p) for p in sorted((root / "scripts" / "calls" / language).glob("*.yaml")))
    return {s.call_id: s for s in loaded}


@pytest.mark.parametrize("language", LANGUAGES)
def test_manifest_matches_the_scripts(root, language):
    calls, scripts = _calls(root, language), _scripts(root, language)
    assert len(scripts) >= 12
    assert sorted(c["call_id"] for c in calls) == sorted(scripts)
    for call in calls:
        script = scripts[call["call_id"]]
        assert script.language == language and call["language"] == language
        assert call == synth.manifest_entry(script, call["duration_s"]), \
            f"{call['call_id']} is stale: re-run scripts/make_sample_calls.py"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_call_labels_the_seven_criteria_and_each_passes_and_fails(root, language):
    calls = _calls(root, language)
    for call in calls:
        assert set(CRITERIA) <= set(call["expected"]) <= set(CRITERIA) | set(HANDLING), call["call_id"]
        assert set(call["expected"].values()) <= set(VERDICTS), call["call_id"]
        assert call["expected"]["no_interrupting"] == ("fail" if call["interruptions"] else "pass")
    for criterion in CRITERIA:
        for verdict in ("pass", "fail"):
            count = sum(c["expected"][criterion] == verdict for c in calls)
            assert count >= 2, f"{language} {criterion}: only {count} calls expect {verdict}"
    assert {c.get("direction", "inbound") for c in calls} == {"inbound", "outbound"}
    assert {c["outcome"] for c in calls} <= OUTCOMES


@pytest.mark.parametrize("language", LANGUAGES)
def test_call_handling_is_labelled_on_nearly_every_call(root, language):
    calls = _calls(root, language)
    for criterion in HANDLING:
        labelled = [c["expected"][criterion] for c in calls if criterion in c["expected"]]
        assert len(labelled) >= len(calls) - 1, f"{language} {criterion}: {len(labelled)} of {len(calls)} labelled"
    for criterion in ("no_forbidden_phrases", "next_step_agreed", "thanked_for_call"):
        assert {"pass", "fail"} <= {c["expected"].get(criterion) for c in calls}, f"{language} {criterion}"


# The wrong answers of the guides, in each language: the verdict of no_im_listening follows
# from the agent's words alone (Russian «слушаю» / «я вас слушаю»; Japanese 「聞いています」).
IM_LISTENING = {"ru": re.compile(r"(?<!\w)слушаю(?!\w)", re.IGNORECASE), "ja": re.compile(r"聞いて(い)?ます")}


@pytest.mark.parametrize("language", LANGUAGES)
def test_im_listening_verdict_agrees_with_the_script_text(root, language):
    for script in _scripts(root, language).values():
        said = any(IM_LISTENING[language].search(t.text) for t in script.turns if t.speaker == "agent")
        assert script.expected["no_im_listening"] == ("fail" if said else "pass"), script.call_id


@pytest.mark.parametrize("language", LANGUAGES)
def test_metadata_names_each_calls_language(root, language):
    with (_folder(root, language) / "metadata.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and {r["language"] for r in rows} == {language}
    assert {r["call_id"] for r in rows} == {c["call_id"] for c in _calls(root, language)}
    assert all(r["customer_name"] == "" for r in rows)


@pytest.mark.parametrize("language", LANGUAGES)
def test_recordings_are_stereo_8khz_flac_of_the_stated_length(root, language):
    for call in _calls(root, language):
        info = sf.info(_folder(root, language) / call["file"])
        assert (info.format, info.samplerate, info.channels) == ("FLAC", 8000, 2), call["file"]
        assert abs(info.duration - call["duration_s"]) < 0.1, call["file"]


def test_a_script_may_only_name_voices_of_its_language(tmp_path):
    script = tmp_path / "X01.yaml"
    script.write_text("call_id: X01\nlanguage: ja\nsetting: s\nagent_id: a\ncall_time: '2026-12-01T09:00:00'\n"
                      "outcome: o\nformat: flac\nvoices: {agent: joe, customer: ja-kumo}\ninterruptions: 0\n"
                      "expected: {}\nturns:\n  - {speaker: agent, text: はい}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="voices.agent must be one of"):
        synth.load_script(script)
    script.write_text(script.read_text(encoding="utf-8").replace("language: ja", "language: xx"), encoding="utf-8")
    with pytest.raises(ConfigError, match="language must be one of"):
        synth.load_script(script)


@pytest.mark.slow  # real Kokoro and Festival synthesis
@pytest.mark.parametrize(("voice", "text"), [("ja-alpha", "お電話ありがとうございます。"),
                                             ("ru-nikolay-high", "Добрый день, чем могу помочь?")])
def test_voices_render_speech_deterministically(voice, text):
    first, again = synth.speak(voice, text), synth.speak(voice, text)
    assert first.dtype == np.float32 and np.array_equal(first, again)
    assert 0.8 < len(first) / synth.TELEPHONE_RATE < 5.0
    assert float(np.sqrt(np.mean(first ** 2))) > 0.01
