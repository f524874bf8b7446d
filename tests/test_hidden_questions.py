"""Issue 13 kind 2: questions without a question mark (embedded, or declarative with a rise)."""

import numpy as np
import pytest
from scipy.signal import butter, sosfilt

from qa_pipeline import nlp
from qa_pipeline.criteria.hidden_questions import HiddenQuestionCues, hidden_questions, rise_at_char
from qa_pipeline.records import AGENT, CUSTOMER, FAIL, PASS, Transcript, Utterance, Word
from qa_pipeline.speech.prosody import final_rise_st, with_final_rises, yin_f0
from qa_pipeline.speech.utterances import split_utterances

from _scoring_helpers import etiquette, judge

RATE = 16_000


def _cues() -> HiddenQuestionCues:
    return etiquette().criterion("asked_questions").params.hidden()


def spoken(speaker: str, text: str, start: float, rise: float | None = None) -> Utterance:
    """An utterance with one word per token, 0.3 s each, `rise` measured on its last word."""
    tokens = text.split()
    words = [Word(t, start + 0.3 * i, start + 0.3 * (i + 1)) for i, t in enumerate(tokens)]
    words[-1] = Word(tokens[-1], words[-1].start, words[-1].end, rise_st=rise)
    return split_utterances(words, speaker, 0 if speaker == AGENT else 1, gap_s=5.0)[0]


def _hidden(text: str, rise: float | None, cues: HiddenQuestionCues | None = None) -> list[str]:
    utterance = spoken(AGENT, text, 0.0, rise)
    doc = nlp.parse([utterance.text])[0]
    return [s.text for s in hidden_questions(doc, utterance, nlp.question_sentences(doc), cues or _cues())]


HIDDEN = [
    ("I'd like to know how old the pipes are.", None),
    ("I was wondering whether you've tried restarting it.", None),
    ("I need to know which room it's in.", None),
    ("Let me know when it started.", None),
    ("You've already turned the water off at the mains.", 2.5),
    ("And it started this morning.", 2.5),
    ("So your car is a diesel.", 3.0),
    ("Oh no, and it started this morning.", 3.3),
]

NOT_HIDDEN = [
    ("I'd like to know more about it.", None),  # a cue with no wh-word, "if" or "whether"
    ("I know how it works.", None),  # "know" alone is no cue
    ("You've already turned the water off at the mains.", -2.0),  # said falling: a statement
    ("You've already turned the water off at the mains.", 1.5),  # a rise too small to tell
    ("You've already turned the water off at the mains.", None),  # no pitch measured
    ("The weather was lovely today.", 3.0),  # rising, but not to or about the caller
    ("Okay.", 4.0),  # too short to be a question about anything
    ("Okay, thank you, and have a good day.", 3.0),  # a friendly closing rises too
    ("I have your account here.", 2.5),  # the agent's own statement
    ("And I will send a plumber today.", 2.5),  # going on, but about the agent
]


@pytest.mark.parametrize(("text", "rise"), HIDDEN)
def test_a_question_without_a_question_mark_is_found(text, rise):
    assert _hidden(text, rise) == [text]


@pytest.mark.parametrize(("text", "rise"), NOT_HIDDEN)
def test_a_statement_is_not_a_hidden_question(text, rise):
    assert _hidden(text, rise) == []


def test_pitch_can_be_switched_off():
    cues = HiddenQuestionCues(_cues().embedded, use_pitch=False)
    assert _hidden("You've already turned the water off at the mains.", 2.5, cues) == []
    assert _hidden("I'd like to know how old the pipes are.", None, cues) != []


def test_the_rise_is_read_from_the_sentences_last_word():
    utterance = Utterance(AGENT, 0.0, 2.0, "Right. You've got it.", (
        Word("Right.", 0.0, 0.3, rise_st=-3.0), Word("You've", 0.4, 0.6), Word("got", 0.6, 0.8),
        Word("it.", 0.8, 1.0, rise_st=2.0)))
    assert rise_at_char(utterance, len("Right.")) == -3.0
    assert rise_at_char(utterance, len(utterance.text)) == 2.0


def _call(*agent_lines: tuple[str, float | None]) -> Transcript:
    utterances, t = [spoken(CUSTOMER, "Hi, water is leaking under my sink.", 0.5)], 3.5
    for text, rise in agent_lines:
        utterances.append(spoken(AGENT, text, t, rise))
        t += 0.3 * len(text.split()) + 0.5
        utterances.append(spoken(CUSTOMER, "Yes.", t))
        t += 0.8
    return Transcript(tuple(utterances), t + 1, 2, asr_model="tiny.en")


def test_hidden_questions_count_toward_asked_questions():
    call = _call(("You've already turned the water off at the mains.", 2.6),
                 ("I'd like to know how old the pipes are.", None))
    assert judge("asked_questions", call).verdict == PASS
    flat = _call(("You've already turned the water off at the mains.", -2.2), ("The pipes are old.", None))
    assert judge("asked_questions", flat).verdict == FAIL


def test_a_hidden_question_is_a_need_question_before_a_price():
    call = _call(("I'd like to know which tap is leaking.", None), ("A visit costs sixty dollars.", None))
    assert judge("no_price_before_need", call).verdict == PASS


# --- the pitch measurement ----------------------------------------------------------


def _voice(f0_start: float, f0_end: float, seconds: float = 1.0, glide_s: float = 0.3) -> np.ndarray:
    """A voiced sound through a telephone band: flat F0, then a glide to `f0_end` at the end."""
    n = int(seconds * RATE)
    f0 = np.full(n, f0_start)
    k = int(glide_s * RATE)
    f0[n - k :] = np.geomspace(f0_start, f0_end, k)
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    wave = sum(np.sin(h * phase) / h for h in range(1, 12))
    sos = butter(6, (300, 3400), btype="bandpass", fs=RATE, output="sos")
    return (0.1 * sosfilt(sos, wave)).astype(np.float32)


def test_yin_finds_f0_through_the_telephone_band():
    f0 = yin_f0(_voice(120, 120), RATE)
    assert np.nanmedian(f0) == pytest.approx(120, rel=0.03)


RISING = [(100, 130), (120, 150), (200, 260), (90, 110), (160, 190)]
NOT_RISING = [(120, 120), (130, 100), (200, 150), (120, 122)]


@pytest.mark.parametrize(("f0_start", "f0_end"), RISING)
def test_a_rising_end_measures_as_a_rise(f0_start, f0_end):
    rise = final_rise_st(_voice(f0_start, f0_end), RATE, 1.0)
    expected = 12 * np.log2(f0_end / f0_start)
    assert rise >= 1.0
    assert 0.4 * expected <= rise <= expected + 1.0


@pytest.mark.parametrize(("f0_start", "f0_end"), NOT_RISING)
def test_a_flat_or_falling_end_is_no_rise(f0_start, f0_end):
    assert final_rise_st(_voice(f0_start, f0_end), RATE, 1.0) < 1.0


def test_unvoiced_or_too_short_sound_has_no_measure():
    noise = (0.05 * np.random.default_rng(1).standard_normal(RATE)).astype(np.float32)
    assert final_rise_st(noise, RATE, 1.0) is None
    assert final_rise_st(_voice(120, 150, seconds=0.08, glide_s=0.04), RATE, 0.08) is None


def test_rises_are_stored_on_sentence_final_words():
    samples = np.concatenate([_voice(120, 90), _voice(120, 160)])
    words = [Word("Right.", 0.0, 1.0), Word("really?", 1.1, 2.0)]
    (utterance,) = with_final_rises(split_utterances(words, AGENT, 0), samples, RATE)
    assert utterance.words[0].rise_st < 0 < 1.0 < utterance.words[1].rise_st
