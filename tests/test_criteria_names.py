"""name_use: the agent learns the caller's name and uses it, tolerant of ASR spelling."""

import pytest

from qa_pipeline import nlp
from qa_pipeline.criteria.names import answer_name, name_similarity, sound_key, title_addresses
from qa_pipeline.records import FAIL, PASS, CallMetadata

from _scoring_helpers import dialogue, judge

PASSING = [
    ("C: hi my name is sarah i'd like to book a cleaning", "A: of course sarah which day suits you"),
    ("A: may i have your name please", "C: david mendes", "A: thank you mr mendes"),
    ("C: Hello, this is David Mendes.", "A: Hi Mr. Men's, how can I help?"),
    ("A: and who am i speaking with", "C: uh it's Irene", "A: thanks irena"),
    ("C: yeah hi it's Catherine", "A: hello kathryn what can i do for you"),
    ("C: my name's john peters", "A: right mr peters let me check"),
    ("A: could i take your surname", "C: Mendes", "A: lovely thank you Mrs. Mendez"),
    ("A: May I have your name, and the phone number on the account?",
     "C: Thomas Hill, and it's the number I'm calling from.", "A: Thank you, Thomas."),
    ("A: Are you a member already?", "C: Yes, I am. Paul Green.", "A: Then just bring your card, Paul."),
    # the caller's introduction was lost by ASR, but the agent addresses her by name
    ("A: Hi, Peak Fitness Club, how can I help you?", "C: Hi, did you know it loud? Do you have trial sessions?",
     "A: We do, Emma. What kind of training are you interested in?"),
    # "Hi Nicole" to the agent misheard as "I'm Nicole": the caller's name comes later
    ("A: Thank you for calling. My name is Nicole.", "C: I'm Nicole. I'm going to Spain next month.",
     "A: May I have your name?", "C: Thomas Hill.", "A: Thank you Thomas."),
    # the answer comes in a second caller utterance
    ("A: may i have your name please", "C: sure", "C: Robert Harrison.", "A: thank you robert"),
    # after a title the surname is matched more loosely ("Mandel" for "Mendes")
    ("C: my name is david mendes", "A: thank you mr mandel"),
    # a misheard surname after a title still addresses the caller
    ("C: after noon. My name is Nanji Wilton.", "A: Thank you. MS. Listen, what's the tracking number?"),
    # the answer was lost, but the agent addresses the caller by title
    ("A: What name should I put the booking under?", "C: yes", "A: Thank you, Ms. Ward, you have a double room."),
    # a common noun is no answer ("the team"), but the agent's "Stephen" addresses the caller
    ("A: How may I address you?", "C: the team and books", "A: Thank you, Stephen. Could he come on Thursday?"),
]

FAILING = [
    ("C: hi my name is sarah i'd like to book a cleaning", "A: of course which day suits you"),
    ("A: how can i help", "C: i need a cleaning", "A: sure which day suits you"),
    ("A: may i have your name please", "C: david mendes", "A: thank you and what is the problem"),
    ("C: this is sam calling about my order", "A: the same order as last week?"),
    ("C: hi my name is sarah", "A: sorry which order was that"),
    ("A: hi sarah how can i help", "C: hi my name is sarah"),
    ("A: which day suits you", "C: Tuesday.", "A: Tuesday is fine, see you then."),
    ("A: where is it going", "C: Chicago.", "A: Chicago takes two days."),
    ("A: see you on wednesday then", "C: Great, see you on Wednesday. Bye.", "A: Okay, bye."),
    # the agent's own name is no form of address to the caller
    ("A: Hello, my name is Megan.", "C: hi i need a cleaning", "A: Sure, this is Megan, Megan."),
    # a common word that sounds like the name is not the name
    ("C: Hi, my name is Jason Reed. How much is a dozen red roses?", "A: A dozen red roses are forty five dollars."),
    # a name the agent says before the caller has spoken addresses nobody (a garbled company name)
    ("A: Hello, Cindy Metter, next report. My name is Brandon. How can I help you?",
     "C: my internet keeps dropping", "A: have you restarted the router"),
    # titles about someone else
    ("C: hi my name is sarah", "A: Mr. Smith will call you back tomorrow."),
    ("C: hi my name is sarah", "A: you can speak with Mr. Jones about that."),
    ("C: hi my name is sarah", "A: you don't want to miss it."),
    # the caller only greeting the agent by the agent's own name
    ("A: My name is Nicole.", "C: I'm Nicole. I'm going to Spain.", "A: Nicole speaking, how can I help?"),
    # "the team" answering a name request is not the name, and the agent addresses nobody
    ("A: How may I address you?", "C: the team and books", "A: Thank you. Could he come on Thursday?"),
]


@pytest.mark.parametrize("lines", PASSING)
def test_agent_uses_learned_name_passes(lines):
    assert judge("name_use", dialogue(*lines)).verdict == PASS


@pytest.mark.parametrize("lines", FAILING)
def test_name_not_used_after_learning_fails(lines):
    assert judge("name_use", dialogue(*lines)).verdict == FAIL


def test_name_spoken_only_by_the_caller_fails():
    result = judge("name_use", dialogue("C: hi this is david mendes", "A: how can i help", "C: it's david mendes again"))
    assert result.verdict == FAIL
    assert "never used it" in result.detail


def test_name_from_metadata_counts_from_the_start():
    transcript = dialogue("A: good morning mr mendes how can i help")
    result = judge("name_use", transcript, metadata=CallMetadata("T", customer_name="David Mendes"))
    assert result.verdict == PASS
    assert "call metadata" in result.detail


def test_unknown_name_fails_with_reason():
    result = judge("name_use", dialogue("A: hello how can i help", "C: i need a cleaning"))
    assert result.verdict == FAIL
    assert "never learned" in result.detail


@pytest.mark.parametrize(
    ("heard", "name"),
    [("Men's", "Mendes"), ("Mendez", "Mendes"), ("Irena", "Irene"), ("Kathryn", "Catherine"), ("Sara", "Sarah"),
     ("Jon", "John")],
)
def test_asr_spellings_of_a_name_match(heard, name):
    assert name_similarity(heard, name) >= 0.8


@pytest.mark.parametrize(("heard", "name"), [("sorry", "Sarah"), ("salmon", "Sam"), ("mentor", "Mendes"), ("dental", "Daniel")])
def test_other_words_do_not_match_a_name(heard, name):
    assert name_similarity(heard, name) < 0.8


def test_sound_key_merges_sound_alikes():
    assert sound_key("Catherine") == sound_key("Kathryn")


def test_evidence_shows_where_the_name_was_learned_and_used():
    transcript = dialogue("C: Hello, this is David Mendes.", "A: how can i help", "A: Hi Mr. Men's, which day suits you?")
    result = judge("name_use", transcript)
    assert [e.speaker for e in result.evidence] == ["customer", "agent"]
    assert result.detail.startswith("agent called the caller 'Men's' at ")


def test_vocative_without_a_learned_name_is_reported_as_such():
    result = judge("name_use", dialogue("C: hello", "A: Thank you, Robert."))
    assert result.verdict == PASS
    assert "were not heard" in result.detail


@pytest.mark.parametrize(
    ("text", "word", "expected"),
    [("david mendes", "david", True), ("uh sarah", "sarah", True), ("Sure. It's Robert Harrison.", "Robert", True),
     ("the team and books", "team", False), ("Of course, it's Paul.", "course", False),
     ("It's Robert, from accounts.", "accounts", False), ("Yes, it's Paul Green.", "Paul", True)],
)
def test_answer_name_rejects_common_words(text, word, expected):
    doc = nlp.parse([text])[0]
    token = next(t for t in doc if t.text == word)
    assert answer_name(token) is expected


HONORIFICS = frozenset({"mr", "mrs", "ms", "miss"})


@pytest.mark.parametrize(
    ("text", "addresses"),
    [("Thank you, Mr. Turner.", ["Mr. Turner"]), ("Thank you, MS, or you have a double room.", ["MS"]),
     ("and see that MS. Listen, the parcel was held", ["MS Listen"]), ("hi miss jones how are you", ["miss jones"]),
     ("Mr. Smith will call you back.", []), ("you can speak with Mr. Jones.", []), ("don't miss it", []),
     ("Doctor Lewis has a free slot.", [])],
)
def test_title_addresses(text, addresses):
    assert title_addresses(nlp.parse([text])[0], HONORIFICS) == addresses


# --- vocatives the tagger misses (issue 13, kind 5) ------------------------------

VOCATIVES = [
    ("Thank you, Siobhan.", ["Siobhan"]),  # the tagger calls it a place
    ("thanks, ruby", ["ruby"]),  # untagged
    ("We do, Emma.", ["Emma"]),
    ("Ruby, can you hold for a moment?", ["Ruby"]),
    ("hi Niamh, how can I help?", ["Niamh"]),
    ("Okay, Mary Jones, let me check.", ["Mary Jones"]),
]

NOT_VOCATIVES = [
    "Thank you, sure.",
    "Okay, Tuesday.",
    "See you then, bye.",
    "We can do it, yes.",
    "thank you, that's fine",
    "Ruby red roses are in stock.",
]


@pytest.mark.parametrize(("text", "found"), VOCATIVES)
def test_vocative_position_finds_a_name(text, found):
    from qa_pipeline.criteria.names import vocatives

    assert vocatives(nlp.parse([text])[0]) == found


@pytest.mark.parametrize("text", NOT_VOCATIVES)
def test_no_vocative_without_the_position_or_a_name(text):
    from qa_pipeline.criteria.names import vocatives

    assert vocatives(nlp.parse([text])[0]) == []


NAME_REQUESTS_WITH_SAYING_VERBS = [
    ("A: could you tell me your name please", "C: david", "A: thanks david"),
    ("A: sorry, I didn't hear your name", "C: david", "A: thanks david"),
    ("A: can you say your name for me?", "C: david", "A: thanks david"),
]


@pytest.mark.parametrize("lines", NAME_REQUESTS_WITH_SAYING_VERBS)
def test_name_request_with_a_verb_of_saying_is_still_a_request(lines):
    assert judge("name_use", dialogue(*lines)).verdict == PASS


VOCATIVE_USES = [
    ("C: my name is siobhan", "A: Thank you, Siobhan."),
    # no comma from ASR: the end of "thank you for your time" sets the name off, and the next clause opens after it
    ("C: my name is denis", "A: thank you so much for your time Denis if there's any issue please call us"),
    ("C: my name is ruby", "A: thanks for your patience Ruby and have a good day"),
    ("C: hi my name is ruby", "A: thanks, ruby"),
    # ASR spelled the name another way: the vocative position and the sound carry it
    ("C: my name is siobhan", "A: Thank you, Shivon, let me look."),
    ("C: my name is geoff", "A: Sure, Jeff."),
    ("C: my name is kristin", "A: thanks, Christine"),
    ("C: this is Catherine", "A: okay, Kathryn, which day suits you?"),
]

NOT_VOCATIVE_USES = [
    # a word in vocative position that is no name
    ("C: my name is ruby", "A: Thanks, mate."),
    ("C: my name is denis", "A: thank you for your time today and have a good day"),
    ("C: my name is denis", "A: thank you for your time Tuesday if you can"),
    # a company's name after "thank you for calling" (C16, C22 of the sample calls)
    ("C: my name is denis", "A: Thank you for calling Westfield and have a good day"),
    ("C: my name is siobhan", "A: Thank you, perfect."),
    # the name's sound without the position, and not spelled alike
    ("C: my name is siobhan", "A: the shivon model is out of stock"),
    ("C: my name is sarah", "A: Sorry, sure."),
    ("C: my name is rita", "A: right, ok"),
]


@pytest.mark.parametrize("lines", VOCATIVE_USES)
def test_caller_addressed_in_vocative_position_passes(lines):
    assert judge("name_use", dialogue(*lines)).verdict == PASS


@pytest.mark.parametrize("lines", NOT_VOCATIVE_USES)
def test_other_words_in_vocative_position_fail(lines):
    assert judge("name_use", dialogue(*lines)).verdict == FAIL


@pytest.mark.parametrize(("heard", "name"), [("Jeff", "Geoff"), ("Rubie", "Ruby"), ("Steven", "Stephen")])
def test_names_that_sound_alike_match(heard, name):
    assert name_similarity(heard, name) >= 0.8


def test_a_name_never_learned_on_a_cut_off_recording_is_not_applicable_with_the_cutoff_reason():
    """C01 cut right after the agent asked for the name: the answer (and its use) fell after the cut."""
    from dataclasses import replace

    from qa_pipeline.records import CALL_END, NOT_APPLICABLE

    reason = "recording is truncated: the header promises 94.2 s, 46.1 s decoded"
    call = dialogue("A: Good morning, Bright Smile Dental Clinic. My name is Megan. How can I help you?",
                    "C: Hi, how much does an extraction cost?", "A: May I have your name, please?", "C: sure.")
    result = judge("name_use", replace(call, missing={CALL_END: reason}))
    assert result.verdict == NOT_APPLICABLE
    assert reason in result.detail
    # uncut, the same words are a fail: the agent never learned the name
    assert judge("name_use", call).verdict == FAIL


def test_a_name_learned_before_the_cut_but_never_used_still_fails():
    from dataclasses import replace

    from qa_pipeline.records import CALL_END

    call = dialogue("C: hi my name is sarah", "A: sorry which order was that", "C: the blue one")
    assert judge("name_use", replace(call, missing={CALL_END: "cut"})).verdict == FAIL


def test_on_an_outbound_call_the_reason_names_the_customer_and_the_agent_placing_the_call():
    call = dialogue("A: Hello, this is Mike from HP calling about your service.", "C: okay", "A: thanks, bye")
    outbound = judge("name_use", call, metadata=CallMetadata("T", direction="outbound"))
    inbound = judge("name_use", call, metadata=CallMetadata("T", direction="inbound"))
    assert outbound.verdict == inbound.verdict == FAIL
    assert "not said by the caller" not in outbound.detail and "not asked for by name" in outbound.detail
    assert "not said by the caller" in inbound.detail
