"""no_interrupting: the agent never starts talking over the customer."""

import pytest

from qa_pipeline.records import FAIL, PASS, Transcript, Utterance, Word

from _scoring_helpers import judge, timed

PASSING = [
    # turn taking with a pause
    [("C", 0.0, 4.0, "i'd like to book a cleaning please"), ("A", 4.3, 6.0, "of course which day")],
    # backchannels over customer speech are feedback
    [("C", 0.0, 8.0, "so the tooth has been hurting since last week and now it is worse"),
     ("A", 3.0, 3.5, "mm-hmm"), ("A", 5.0, 5.6, "Right."), ("A", 8.3, 10.0, "I'm sorry to hear that")],
    [("C", 0.0, 6.0, "I ordered the parcel on monday and it never came"), ("A", 2.0, 2.8, "uh-huh, okay")],
    # overlap below the threshold: the agent comes in as the customer finishes
    [("C", 0.0, 4.0, "that's all i wanted to ask"), ("A", 3.7, 6.0, "great let me book that for you")],
    # the customer talks over the agent: not the agent's fault
    [("A", 0.0, 5.0, "we have a slot on tuesday at ten"), ("C", 2.0, 3.0, "tuesday works")],
    [("C", 0.0, 5.0, "hello i need help with my internet"), ("A", 2.0, 2.6, "yeah"), ("A", 5.2, 7.0, "sure what is wrong")],
]

FAILING = [
    [("C", 0.0, 6.0, "so the tooth has been hurting since last week"), ("A", 2.0, 5.0, "okay which tooth is it")],
    [("C", 0.0, 8.0, "i wanted to ask about the price of whitening and also"),
     ("A", 4.0, 9.0, "whitening is two hundred dollars")],
    # a backchannel that runs on into a turn is an interruption
    [("C", 0.0, 6.0, "my order number is one two three four five"), ("A", 3.0, 6.5, "right right so let me stop you there")],
    [("C", 0.0, 3.0, "i am calling because"), ("A", 1.0, 3.0, "yes yes i know")] ,
    [("C", 0.0, 4.0, "hello is this the gym"), ("A", 1.0, 4.5, "yes how can i help you today")],
    [("C", 10.0, 20.0, "the internet keeps dropping every evening around eight"), ("A", 14.0, 15.0, "have you restarted it")],
]


@pytest.mark.parametrize("rows", PASSING)
def test_no_interruption_passes(rows):
    assert judge("no_interrupting", timed(*rows)).verdict == PASS


@pytest.mark.parametrize("rows", FAILING)
def test_talking_over_the_customer_fails(rows):
    assert judge("no_interrupting", timed(*rows)).verdict == FAIL


def test_detail_reports_count_and_times():
    rows = [("C", 0.0, 6.0, "so the tooth has been hurting"), ("A", 2.0, 5.0, "which tooth is it"),
            ("C", 7.0, 12.0, "the lower one and it hurts when"), ("A", 9.5, 11.0, "is it sharp")]
    result = judge("no_interrupting", timed(*rows))
    assert result.detail == "agent interrupted the customer 2 times: at 2.0 s (3.0 s over), 9.5 s (1.5 s over)"
    assert len(result.evidence) == 4


def test_word_timings_show_the_customer_had_stopped():
    """Whisper's segment runs on over a pause; the words show the customer finished at 2.0 s."""
    words = (Word("i", 0.0, 0.4), Word("need", 0.5, 1.0), Word("help", 1.2, 2.0))
    customer = Utterance("customer", 0.0, 5.0, "i need help", words)
    agent = Utterance("agent", 3.0, 5.0, "sure what kind of help")
    assert judge("no_interrupting", Transcript((customer, agent), 6.0, 2)).verdict == PASS


def test_a_diarized_mono_mix_is_not_applicable_rather_than_a_blind_pass():
    """Diarized turns never overlap (one speaker per moment), so a pass would mean nothing."""
    from dataclasses import replace

    from qa_pipeline.records import NOT_APPLICABLE, RoleDecision

    mono = replace(timed(*FAILING[0]), channels=1, roles=RoleDecision("diarization", None, 0.95, 2))
    result = judge("no_interrupting", mono)
    assert result.verdict == NOT_APPLICABLE and "overlapped speech" in result.detail
