"""Questions without a question mark: embedded ones, and declaratives said with a rise.

Whisper writes a full stop after a question that has no interrogative syntax:
- an embedded question ("I'd like to know how old the pipes are", "I was wondering
  whether you've tried restarting it"): a cue from the rubric's `embedded_question_cues`
  followed, within a few words, by a wh-word, "if" or "whether";
- a declarative question ("You've already turned the water off at the mains?"): the words
  are a statement, so only the voice tells. The agent's channel carries the rise in pitch
  at the end of the sentence, measured by `qa_pipeline.speech.prosody` and stored on the
  sentence's last word (`Word.rise_st`). A sentence whose subject is the caller ("you
  ...") or that goes on from their answer ("and it started ...", "so your car is ...";
  not "and I ..."), and ends at least `rising_pitch_st` semitones up, counts as a
  question. A friendly closing often rises too ("thank you, and have a good day"), as
  do the agent's own statements ("I have your account here"): without such a subject
  the rise is not enough.

How much the rise adds is measured in docs/speech-field-faults.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qa_pipeline import nlp
from qa_pipeline.records import Utterance
from qa_pipeline.speech.utterances import join_words, word_offsets

# Words that bring in an embedded question after its cue ("... know *how* old ...").
EMBEDDED_HEADS = nlp.WH_WORDS | {"if", "whether"}
_HEAD_WITHIN = 3
# Grammar, not phrases: a declarative question has the caller as its subject, or carries
# on from their last answer with a subject other than the agent.
SECOND_PERSON = frozenset({"you"})
CONTINUATIONS = frozenset({"and", "so"})
FIRST_PERSON = frozenset({"i", "we"})
_SUBJECTS = ("nsubj", "nsubjpass", "expl")
MIN_WORDS = 3


@dataclass(frozen=True)
class HiddenQuestionCues:
    """What marks a question with no "?" or interrogative syntax.

    `embedded` are rubric phrases ("i'd like to know"); `rising_pitch_st` is the pitch
    rise, in semitones, that makes a declarative sentence a question; `use_pitch=False`
    ignores pitch (words alone).
    """

    embedded: tuple[str, ...] = ()
    rising_pitch_st: float = 2.0
    use_pitch: bool = True


def hidden_questions(doc: Any, utterance: Utterance, found: list[Any], cues: HiddenQuestionCues) -> list[Any]:
    """Sentences of `doc` (an utterance's spaCy doc) that are questions without a "?".

    `found` are the question spans already found by syntax; sentences overlapping them
    are skipped. Returns spaCy spans, in order.
    """
    out = []
    for sent in doc.sents:
        if any(sent.start < f.end and f.start < sent.end for f in found):
            continue
        if _embedded(sent, cues.embedded) or (cues.use_pitch and _rising_declarative(sent, utterance, cues)):
            out.append(sent)
    return out


def _embedded(sent: Any, cues: tuple[str, ...]) -> bool:
    for match in nlp.find_phrases(sent, cues):
        following = [t.lower_ for t in sent.doc[match.end : min(match.end + _HEAD_WITHIN, sent.end)]]
        if any(word in EMBEDDED_HEADS for word in following):
            return True
    return False


def _rising_declarative(sent: Any, utterance: Utterance, cues: HiddenQuestionCues) -> bool:
    words = [t for t in sent if t.is_alpha or "'" in t.text]
    if len(words) < MIN_WORDS:
        return False
    subjects = [t for t in sent if t.dep_ in _SUBJECTS and t.head == sent.root]
    if not subjects:
        return False
    said = {t.lower_ for t in subjects}
    to_caller = bool(said & SECOND_PERSON)
    # "Oh no, and it started this morning": the continuation comes before the subject.
    goes_on = any(t.lower_ in CONTINUATIONS and t.i < subjects[0].i for t in sent) and not said & FIRST_PERSON
    if not (to_caller or goes_on):
        return False
    rise = rise_at_char(utterance, sent.end_char)
    return rise is not None and rise >= cues.rising_pitch_st


def rise_at_char(utterance: Utterance, end_char: int) -> float | None:
    """The pitch rise measured on the last word of `utterance` that starts before `end_char`
    (a character offset into `utterance.text`); None where none was measured."""
    if not utterance.words or join_words(utterance.words) != utterance.text:
        return None
    last = None
    for word, (start, _) in zip(utterance.words, word_offsets(utterance.words)):
        if start >= end_char:
            break
        last = word
    return last.rise_st if last is not None else None
