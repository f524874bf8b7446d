"""Custom vocabulary: the agent roster, hotwords, and the roster name in self_introduction."""

from __future__ import annotations

import pytest

from qa_pipeline.errors import ConfigError
from qa_pipeline.records import FAIL, PASS, CallMetadata
from qa_pipeline.rubric import parse_rubric
from qa_pipeline.speech.asr import AsrOptions, settings_key
from qa_pipeline.vocabulary import (
    MAX_HOTWORDS,
    Vocabulary,
    agent_spellings,
    hotwords,
    names_match,
    parse_roster,
    with_roster_name,
)

from _scoring_helpers import dialogue, etiquette, judge

ROSTER = parse_roster("agent_id,name,aliases\nagent-megan,Megan,Meg\nagent-tom, Tom ,Thomas|Tommy\n\n")


def test_roster_reads_names_and_aliases():
    assert ROSTER.get("agent-tom").spellings == ("Tom", "Thomas", "Tommy")
    assert ROSTER.get("agent-megan").aliases == ("Meg",)
    assert ROSTER.get("agent-nobody") is None and ROSTER.get(None) is None


@pytest.mark.parametrize("text, message", [
    ("id,name\na,b\n", "needs the columns agent_id and name"),
    ("agent_id,name\na,\n", "line 2: an agent needs both"),
    ("agent_id,name\na,Ann\na,Bea\n", "line 3: agent_id 'a' appears twice"),
])
def test_bad_roster_is_a_config_error_naming_the_line(text, message):
    with pytest.raises(ConfigError, match=message):
        parse_roster(text, "agents.csv")


def test_roster_name_goes_into_the_call_metadata_unless_it_has_one():
    named = with_roster_name(CallMetadata("C1", agent_id="agent-tom"), ROSTER)
    assert agent_spellings(named) == ("Tom", "Thomas", "Tommy")
    given = CallMetadata("C1", agent_id="agent-tom", agent_name="Tomas")
    assert with_roster_name(given, ROSTER) is given
    assert with_roster_name(CallMetadata("C1", agent_id="agent-x"), ROSTER).agent_name is None


def test_hotwords_are_unique_and_capped():
    assert hotwords(["Megan", "Meg"], ["Bright Smile Dental", "megan"]) == "Megan Meg Bright Smile Dental"
    assert hotwords([], []) is None
    assert len(hotwords([f"w{i}" for i in range(100)]).split()) == MAX_HOTWORDS


def test_hotwords_change_the_options_and_the_cache_key_only_when_asked():
    metadata = CallMetadata("C1", agent_id="agent-megan")
    plain = AsrOptions()
    rubric = parse_rubric({"id": "r", "version": "1", "vocabulary": ["Bright Smile"],
                           "criteria": {"said_goodbye": {"impl": "said_goodbye.v1", "weight": 1.0,
                                                         "params": {"phrases": ["bye"]}}}})
    _, same = Vocabulary(ROSTER, hotwords=False).for_call(metadata, plain, rubric)
    _, hinted = Vocabulary(ROSTER, hotwords=True).for_call(metadata, plain, rubric)
    assert same == plain and hinted.agent_hotwords == "Megan Meg Bright Smile"
    assert settings_key(same) == settings_key(plain) != settings_key(hinted)


def test_rubric_vocabulary_must_be_a_list_of_strings():
    with pytest.raises(ConfigError, match="vocabulary"):
        parse_rubric({"id": "r", "version": "1", "vocabulary": "Acme",
                      "criteria": {"said_goodbye": {"impl": "said_goodbye.v1", "weight": 1.0, "params": {"phrases": ["bye"]}}}})
    assert etiquette().vocabulary == ()


@pytest.mark.parametrize("heard, known, same", [
    ("Megan", "Megan", True),
    ("meghan", "Megan", True),   # same Metaphone
    ("Olivia,", "Olivia", True),
    ("Brandan", "Brandon", True),  # Jaro-Winkler 0.94
    ("leave", "Olivia", False),
    ("Tom", "Tim", False),
    ("an", "Anna", False),        # too short to judge
])
def test_names_match_tolerantly(heard, known, same):
    assert names_match(heard, known, 0.9) is same


def test_roster_name_in_the_opening_passes_self_introduction_where_no_template_matches():
    call = dialogue("A: good morning peak fitness meghan at your service how can i help")
    assert judge("self_introduction", call).verdict == FAIL
    result = judge("self_introduction", call, CallMetadata("T", agent_id="agent-megan", agent_name="Megan|Meg"))
    assert result.verdict == PASS and "meghan" in result.detail


def test_another_name_in_the_opening_is_not_the_roster_name():
    call = dialogue("A: good morning how can i help", "C: hi this is sarah", "A: hi sarah what can i do for you")
    assert judge("self_introduction", call, CallMetadata("T", agent_name="Megan")).verdict == FAIL
