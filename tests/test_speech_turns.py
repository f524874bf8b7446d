"""Issue 13 kinds 6 and 7 on word timings and channel energy (no ASR).

Kind 6: after word times are fitted, no utterance of one speaker spans a turn of the other.
Kind 7: an echo is dropped by the channels' energy even when the other channel's ASR
missed the word it echoes.
"""

import numpy as np
import pytest

from qa_pipeline.records import AGENT, CUSTOMER, Utterance, Word
from qa_pipeline.speech.crosstalk import suppress_crosstalk
from qa_pipeline.speech.speech_activity import fit_words, own_speech_frames
from qa_pipeline.speech.utterances import split_at_turns, split_utterances, word_offsets

FRAME_S = 0.02


def _words(*spans: tuple[str, float, float]) -> tuple[Word, ...]:
    return tuple(Word(t, a, b) for t, a, b in spans)


def _utterance(speaker: str, channel: int, *spans) -> Utterance:
    return split_utterances(_words(*spans), speaker, channel, gap_s=10.0)[0]


def _activity(duration_s: float, *runs: tuple[float, float]) -> np.ndarray:
    flags = np.zeros(int(duration_s / FRAME_S), dtype=bool)
    for a, b in runs:
        flags[int(round(a / FRAME_S)) : int(round(b / FRAME_S))] = True
    return flags


AGENT_TURN = (("Can", 1.0, 1.2), ("I", 1.2, 1.3), ("take", 1.3, 1.5), ("your", 1.5, 1.7), ("name?", 1.7, 2.0),
              ("Thanks,", 3.6, 3.9), ("Alan.", 3.9, 4.3))

# (other speaker's words, other speaker's own-speech runs, expected texts of the agent's utterances)
SPLITS = [
    # the caller's reply lies in the agent's pause
    ([("It's", 2.4, 2.6), ("Alan.", 2.6, 3.1)], [], ["Can I take your name?", "Thanks, Alan."]),
    # one word of the reply is enough
    ([("Alan.", 2.5, 3.0)], [], ["Can I take your name?", "Thanks, Alan."]),
    # the reply was not recognised, but the caller's channel carried their voice
    ([], [(2.4, 3.0)], ["Can I take your name?", "Thanks, Alan."]),
    # a short voiced reply (0.2 s) the recogniser missed
    ([], [(2.6, 2.8)], ["Can I take your name?", "Thanks, Alan."]),
    # a reply whose times Whisper stretched past the agent's next word is still mostly in the pause
    ([("It's", 2.3, 2.9), ("Alan.", 2.9, 3.9)], [], ["Can I take your name?", "Thanks, Alan."]),
    # two replies in two pauses split the agent's turn three times
    ([("Alan.", 2.5, 3.0), ("Yes.", 4.6, 4.8)], [], ["Can I take your name?", "Thanks, Alan.", "Right."]),
]

NO_SPLITS = [
    # nobody else spoke
    ([], []),
    # a backchannel laid over the agent's words, not in a pause
    ([("Mm-hmm.", 1.3, 1.6)], [(1.3, 1.6)]),
    # a click on the caller's line, shorter than a turn
    ([], [(2.5, 2.6)]),
    # the caller's sound runs on from before the pause: part of an earlier turn, not one inside it
    ([], [(0.2, 2.5)]),
    # the caller's word ends right where the agent's pause begins: it is not inside
    ([("Okay.", 1.6, 2.0)], []),
    # the caller talks on through the agent's short pause: the agent talks over them
    ([("I", 0.2, 0.6), ("wonder", 0.6, 2.4), ("if", 2.4, 3.0), ("you", 3.0, 4.4)], [(0.2, 1.0)]),
    # the caller starts after the agent's turn
    ([("Bye.", 4.5, 4.8)], [(4.5, 4.8)]),
]


@pytest.mark.parametrize(("other_words", "runs", "expected"), SPLITS)
def test_an_utterance_is_split_at_the_other_speakers_turn(other_words, runs, expected):
    spans = AGENT_TURN + ((("Right.", 5.2, 5.5),) if len(expected) == 3 else ())
    agent = (_utterance(AGENT, 0, *spans),)
    other = split_utterances(_words(*other_words), CUSTOMER, 1)
    split = split_at_turns(agent, other, _activity(6.0, *runs))
    assert [u.text for u in split] == expected
    assert all(u.speaker == AGENT and u.channel == 0 for u in split)
    assert [w for u in split for w in u.words] == list(agent[0].words)


@pytest.mark.parametrize(("other_words", "runs"), NO_SPLITS)
def test_an_utterance_is_kept_whole_without_a_turn_in_a_pause(other_words, runs):
    agent = (_utterance(AGENT, 0, *AGENT_TURN),)
    other = split_utterances(_words(*other_words), CUSTOMER, 1)
    assert split_at_turns(agent, other, _activity(6.0, *runs)) == agent


def test_split_utterances_keep_their_own_span():
    agent = (_utterance(AGENT, 0, *AGENT_TURN),)
    first, second = split_at_turns(agent, (_utterance(CUSTOMER, 1, ("Alan.", 2.5, 3.0)),))
    assert (first.start, first.end, second.start, second.end) == (1.0, 2.0, 3.6, 4.3)


def test_a_fitted_word_stretched_over_a_turn_keeps_the_burst_next_to_the_utterance():
    # Whisper gave "Okay," 10 s, over the caller's whole turn; the agent only said it at the end.
    words = _words(("Okay,", 1.0, 11.0), ("and", 11.0, 11.2), ("which", 11.2, 11.5))
    active = _activity(12.0, (1.0, 1.2), (10.6, 11.5))
    fitted = fit_words(words, active)
    assert fitted[0].start >= 10.5
    assert fitted[0].end - fitted[0].start <= 1.0


def test_word_offsets_follow_the_joined_text():
    words = _words(("It's", 0, 1), ("a", 1, 2), ("two", 2, 3), ("-year", 3, 4), ("plan.", 4, 5))
    assert word_offsets(words) == [(0, 4), (5, 6), (7, 10), (10, 15), (16, 21)]


# --- kind 7: echo decided by energy -------------------------------------------------

RATE = 16_000
rng = np.random.default_rng(7)


def _speechlike(duration_s: float) -> np.ndarray:
    """Noise bursts with syllable-like pauses, at about -20 dBFS."""
    t = np.arange(int(duration_s * RATE)) / RATE
    envelope = (np.sin(2 * np.pi * 4 * t) > -0.3).astype(float)
    return (0.1 * rng.standard_normal(len(t)) * envelope).astype(np.float32)


def _line(seconds: float = 8.0):
    """Agent speaks 1-3 s and 5-7 s; the caller speaks 3.5-4.5 s; each leaks into the
    other channel 25 dB down over line noise (-65 dBFS)."""
    n = int(seconds * RATE)
    agent, caller = np.zeros(n, np.float32), np.zeros(n, np.float32)
    for a, b in ((1.0, 3.0), (5.0, 7.0)):
        agent[int(a * RATE) : int(b * RATE)] = _speechlike(b - a)
    caller[int(3.5 * RATE) : int(4.5 * RATE)] = _speechlike(1.0)
    leak = 10 ** (-25 / 20)
    noise = lambda: (10 ** (-65 / 20) * rng.standard_normal(n)).astype(np.float32)  # noqa: E731
    return agent + leak * caller + noise(), caller + leak * agent + noise()


AGENT_CH, CALLER_CH = _line()
ACTIVE = [own_speech_frames(AGENT_CH, CALLER_CH, RATE), own_speech_frames(CALLER_CH, AGENT_CH, RATE)]

# (caller-channel word, whether it is an echo of the agent)
ECHOES = [
    Word("day?", 2.6, 2.9),  # the end of the agent's first turn
    Word("Good", 1.1, 1.4),  # the start of it
    Word("morning,", 1.5, 2.0),
    Word("name?", 6.5, 6.95),  # the agent's second turn
    Word("Okay.", 5.0, 5.0),  # a word Whisper gave no duration
    Word("calling.", 5.8, 6.6),
]
REAL_WORDS = [
    Word("Yes,", 3.6, 3.9),  # the caller's own turn
    Word("I", 4.0, 4.1),
    Word("can.", 4.2, 4.5),
    Word("Sure.", 3.3, 3.7),  # a real word Whisper started in the pause before the turn
    Word("then.", 4.3, 4.7),  # and one it ran on past the turn
    Word("hm", 7.6, 7.8),  # a word in silence: no energy says it leaked
]


@pytest.mark.parametrize("word", ECHOES, ids=lambda w: w.text)
def test_an_echo_is_dropped_though_the_agent_channel_missed_the_word(word):
    # The agent channel's recogniser heard nothing at all here.
    kept = suppress_crosstalk(((), (word,)), (AGENT_CH, CALLER_CH), RATE, own_speech=ACTIVE)
    assert kept == ((), ())


@pytest.mark.parametrize("word", REAL_WORDS, ids=lambda w: w.text)
def test_the_callers_own_words_are_kept(word):
    kept = suppress_crosstalk(((), (word,)), (AGENT_CH, CALLER_CH), RATE, own_speech=ACTIVE)
    assert kept == ((), (word,))


def test_without_speech_activity_only_matched_echoes_are_dropped():
    echo = Word("day?", 2.6, 2.9)
    assert suppress_crosstalk(((), (echo,)), (AGENT_CH, CALLER_CH), RATE) == ((), (echo,))
    matched = ((Word("day", 2.5, 2.9),), (echo,))
    assert suppress_crosstalk(matched, (AGENT_CH, CALLER_CH), RATE) == ((Word("day", 2.5, 2.9),), ())
