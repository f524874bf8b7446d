"""The other party's leak left undecoded on a stereo channel (`AsrOptions.skip_leak`).

Pure pieces (`leak_spans`, `compacted`) on hand-made flags and samples; the whole path
with real faster-whisper (bundled tiny.en) on the committed two-speaker clip, whose
customer channel carries the agent's voice 22 dB down (tests/_asr_helpers.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from qa_pipeline.records import SAMPLE_RATE
from qa_pipeline.speech.asr import AsrOptions, live_words, load_model, settings_key, transcribe_file
from qa_pipeline.speech.audio import load_audio
from qa_pipeline.speech.crosstalk import FRAME_S, LEAK_PAD_S, leak_spans
from qa_pipeline.speech.decoding import LEAK_GAP_S, compacted
from qa_pipeline.speech.speech_activity import own_speech_frames

from _asr_helpers import clip_lines, clip_path, similarity


def _flags(seconds: float, *spans: tuple[float, float]) -> np.ndarray:
    flags = np.zeros(int(round(seconds / FRAME_S)), dtype=bool)
    for start, end in spans:
        flags[int(round(start / FRAME_S)) : int(round(end / FRAME_S))] = True
    return flags


def test_leak_spans_keep_clear_of_own_speech_and_overlap():
    own = _flags(20, (1, 3), (9, 10), (15, 16))
    other = _flags(20, (4, 11), (12, 14))  # over our 9-10 s: both talk at once
    spans = leak_spans(own, other)
    expected = [(4 - LEAK_PAD_S, 9 - LEAK_PAD_S), (10 + LEAK_PAD_S, 11 + LEAK_PAD_S), (12 - LEAK_PAD_S, 14 + LEAK_PAD_S)]
    assert [pytest.approx(span) for span in expected] == list(spans)
    assert leak_spans(own, np.zeros_like(other)) == ()  # nobody else talks: nothing to leave out


def test_compacted_cuts_spans_and_puts_times_back():
    piece = np.ones(10 * SAMPLE_RATE, dtype=np.float32)
    cut = compacted(piece, [(2.0, 5.0), (6.0, 6.2), (8.0, 12.0)], offset_s=0.0)
    gap = LEAK_GAP_S
    # Kept: 0-2 s, 5-8 s (the 0.2 s span is shorter than the gap, so it stays); the tail is cut.
    assert len(cut.samples) == int(round((2 + gap + 3) * SAMPLE_RATE))
    assert not cut.samples[2 * SAMPLE_RATE : int((2 + gap) * SAMPLE_RATE)].any()
    assert cut.original_s(0.5, 1.0) == (0.5, 1.0)
    assert cut.original_s(2 + gap + 1.0, 2 + gap + 1.5) == (6.0, 6.5)
    # A word stretched back over the pause (reaching into the next stretch's audio) belongs
    # after it; one timed late, into the pause but ending before the next audio, stays.
    assert cut.original_s(1.8, 2 + gap + 0.3) == (5.0, 5.3)
    assert cut.original_s(1.8, 2 + gap / 2) == (1.8, 2.0)
    assert cut.original_s(2 - LEAK_PAD_S - 0.3, 2 - LEAK_PAD_S + 0.2) == (1.3, 1.8)
    # A sentence's last word timed late, into the next stretch, still ends its sentence;
    # a first word stretched back over the pause goes with the words after it.
    from qa_pipeline.records import Word

    heard = [Word("help", 1.2, 1.6), Word("you?", 1.7, 2 + gap + 0.3), Word("Thank", 1.9, 2 + gap + 0.2),
             Word("you.", 2 + gap + 0.3, 2 + gap + 0.6)]
    assert [(w.text, w.start, w.end) for w in cut.moved(heard)] == [
        ("help", 1.2, 1.6), ("you?", 1.7, 2.0), ("Thank", 5.0, 5.2), ("you.", 5.3, 5.6)]
    # A piece later in its channel: spans are channel seconds.
    later = compacted(piece, [(102.0, 105.0)], offset_s=100.0)
    assert later.original_s(2 + gap + 0.5, 2 + gap + 1.0) == (5.5, 6.0)
    assert len(compacted(piece, [(-1.0, 11.0)]).samples) == 0


def test_skip_leak_is_keyed_in_the_transcript_cache():
    assert settings_key(AsrOptions()) != settings_key(AsrOptions(skip_leak=False))
    assert settings_key(AsrOptions(skip_leak=True)) == settings_key(AsrOptions())


@pytest.mark.asr
def test_leak_is_not_decoded_and_the_transcript_keeps_every_line():
    """The customer channel's raw words: the agent's leak without skip_leak, none with it."""
    audio, options = load_audio(clip_path("two_speakers")), AsrOptions()
    model = load_model(options)
    own = [own_speech_frames(audio.channels[ch], audio.channels[1 - ch], audio.sample_rate) for ch in (0, 1)]
    spans = leak_spans(own[0], own[1]), leak_spans(own[1], own[0])
    lines = clip_lines("two_speakers")
    agent = [line for line in lines if line["channel"] == 0]
    # Every agent line lies in a span of the customer channel's leak, and no customer line touches one.
    for line in lines:
        covered = any(a <= line["start"] + 0.3 and line["end"] - 0.3 <= b for a, b in spans[1])
        touched = any(a < line["end"] and line["start"] < b for a, b in spans[1])
        assert covered if line["channel"] == 0 else not touched, line
    heard = live_words(model, audio.channels[1], options).words
    skipped = live_words(model, audio.channels[1], options, 0.0, None, spans[1]).words
    in_agent_lines = lambda words: [w for w in words if any(a["start"] <= w.start < a["end"] for a in agent)]  # noqa: E731
    assert len(in_agent_lines(heard)) >= 10  # the leak is loud enough for Whisper to hear it
    assert in_agent_lines(skipped) == []
    transcript = transcribe_file(clip_path("two_speakers"), options)
    assert len(transcript.utterances) == len(lines)
    for utterance, line in zip(transcript.utterances, lines):
        assert similarity(utterance.text, line["text"]) >= 0.9, (utterance.text, line["text"])
        assert abs(utterance.start - line["start"]) <= 0.3 and abs(utterance.end - line["end"]) <= 0.3
