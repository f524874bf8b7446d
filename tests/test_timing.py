"""Timing stage: speech intervals, interruptions and call metrics."""

import pytest

from qa_pipeline.records import Transcript, Utterance, Word
from qa_pipeline.timing import BackchannelRule, call_metrics, find_interruptions, speech_intervals, union_length

from _scoring_helpers import timed

BACKCHANNEL = BackchannelRule(frozenset({"mmhmm", "right", "okay", "yeah", "uhhuh", "i", "see"}), max_words=3, max_s=1.5)


@pytest.mark.parametrize(
    ("text", "duration", "expected"),
    [
        ("Mm-hmm.", 0.5, True),
        ("Right, okay.", 0.9, True),
        ("I see.", 0.6, True),
        ("uh-huh", 0.4, True),
        ("right right so let me stop you", 2.5, False),
        ("okay", 2.0, False),  # long for one word: more than feedback
        ("yeah i see okay right", 1.2, False),
        ("no", 0.3, False),
    ],
)
def test_backchannel_rule(text, duration, expected):
    assert BACKCHANNEL.matches(Utterance("agent", 1.0, 1.0 + duration, text)) is expected


@pytest.mark.parametrize(
    ("intervals", "expected"),
    [([], 0.0), ([(0, 1)], 1.0), ([(0, 2), (1, 3)], 3.0), ([(0, 1), (2, 3)], 2.0), ([(0, 5), (1, 2)], 5.0)],
)
def test_union_length(intervals, expected):
    assert union_length(intervals) == pytest.approx(expected)


def test_speech_intervals_merge_words_over_short_gaps():
    words = (Word("a", 0.0, 0.5), Word("b", 0.6, 1.0), Word("c", 2.0, 2.5))
    assert speech_intervals(Utterance("customer", 0.0, 3.0, "a b c", words)) == [(0.0, 1.0), (2.0, 2.5)]


@pytest.mark.parametrize(
    ("min_overlap", "expected"),
    [(0.5, 1), (1.0, 1), (2.5, 0)],
)
def test_overlap_threshold_is_a_parameter(min_overlap, expected):
    transcript = timed(("C", 0.0, 4.0, "i need a new router"), ("A", 2.0, 6.0, "we can send one tomorrow"))
    assert len(find_interruptions(transcript, min_overlap, BACKCHANNEL)) == expected


def test_interruption_record_points_at_both_utterances():
    transcript = timed(("C", 0.0, 4.0, "i need a new router"), ("A", 2.0, 6.0, "we can send one tomorrow"))
    (found,) = find_interruptions(transcript, 0.5, BACKCHANNEL)
    assert (found.agent_index, found.customer_index, found.start, found.overlap_s) == (1, 0, 2.0, 2.0)


def test_call_metrics_talk_silence_and_pace():
    transcript = timed(
        ("A", 0.0, 6.0, " ".join(["word"] * 15)),
        ("C", 7.0, 10.0, "a short reply"),
        ("A", 10.0, 12.0, "five more words said here"),
    )
    metrics = call_metrics(transcript, interruptions=1, agent_questions=2)
    assert metrics.agent_talk_s == pytest.approx(8.0)
    assert metrics.customer_talk_s == pytest.approx(3.0)
    assert metrics.silence_s == pytest.approx(13.0 - 11.0)
    assert metrics.agent_wpm == pytest.approx(20 / (8.0 / 60))
    assert (metrics.interruptions, metrics.agent_questions) == (1, 2)


def test_metrics_without_agent_speech_have_no_pace():
    transcript = Transcript((Utterance("unknown", 0.0, 2.0, "hello there"),), 3.0, 1, roles_known=False)
    metrics = call_metrics(transcript)
    assert metrics.agent_wpm is None
    assert metrics.silence_s == pytest.approx(1.0)
