from dataclasses import replace

import pytest

from qa_pipeline.contract import (
    SCORECARD_SCHEMA,
    scorecard_from_dict,
    scorecard_to_dict,
    transcript_from_dict,
    transcript_to_dict,
)
from qa_pipeline.records import (
    AGENT,
    CUSTOMER,
    FAIL,
    PASS,
    CallMetrics,
    CriterionResult,
    Evidence,
    Scorecard,
    Transcript,
    Utterance,
    Word,
)

GREETING = Utterance(
    AGENT, 0.6, 4.1, "Good morning, this is Megan.",
    (Word("Good", 0.6, 0.9), Word("morning,", 0.9, 1.3), Word("this", 1.4, 1.6),
     Word("is", 1.6, 1.7), Word("Megan.", 1.9, 2.4)),
    channel=0,
)
REPLY = Utterance(CUSTOMER, 4.5, 6.0, "Hi, it's Tom.", channel=1)
TRANSCRIPT = Transcript((GREETING, REPLY), duration_s=63.24, channels=2, asr_model="tiny.en")


def _card() -> Scorecard:
    return Scorecard(
        call_id="H01", recording="sample_audio/H01.flac", agent_id="agent-megan",
        duration_s=63.24, channels=2, rubric_id="etiquette", rubric_version="1", score=50.0,
        criteria=(
            CriterionResult("self_introduction", PASS, 1.0, 0.97, (Evidence.of(GREETING),),
                            "agent gave name 'Megan' at 1.9 s"),
            CriterionResult("said_goodbye", FAIL, 1.0, 0.8, (), "no closing in the last 30 s"),
        ),
        metrics=CallMetrics(0, 31.04, 20.2, 9.1, 151.4, 4),
        transcript=TRANSCRIPT,
        versions={"pipeline": "0.1.0", "asr_model": "tiny.en", "rubric": "etiquette/1"},
    )


def test_scorecard_has_contract_fields_in_contract_shape():
    d = scorecard_to_dict(_card())
    assert d["schema"] == SCORECARD_SCHEMA
    assert d["rubric"] == {"id": "etiquette", "version": "1", "sha256": None}
    assert d["duration_s"] == 63.2
    assert d["metrics"] == {"interruptions": 0, "agent_talk_s": 31.0, "customer_talk_s": 20.2,
                            "silence_s": 9.1, "agent_wpm": 151, "agent_questions": 4}
    assert d["criteria"][0]["evidence"] == [
        {"speaker": "agent", "start": 0.6, "end": 4.1, "text": "Good morning, this is Megan."}]
    assert d["transcript"][1] == {"speaker": "customer", "start": 4.5, "end": 6.0, "text": "Hi, it's Tom."}


def test_scorecard_round_trips_through_json_shape():
    card = _card()
    back = scorecard_from_dict(scorecard_to_dict(card))
    assert back.criteria == card.criteria
    assert back.score == card.score
    assert [u.text for u in back.transcript.utterances] == [u.text for u in TRANSCRIPT.utterances]


def test_scorecard_from_dict_rejects_another_schema():
    d = scorecard_to_dict(_card())
    d["schema"] = "qa-pipeline.scorecard/2"
    with pytest.raises(ValueError, match="expected schema 'qa-pipeline.scorecard/1'"):
        scorecard_from_dict(d)


def test_transcript_round_trip_keeps_words_and_channels():
    back = transcript_from_dict(transcript_to_dict(TRANSCRIPT, "x.wav"))
    assert back == replace(TRANSCRIPT, duration_s=63.24)
    assert back.utterances[0].words[-1] == Word("Megan.", 1.9, 2.4, 1.0)
