"""Cut-off recordings: does the recording stop before the conversation does?

A recording that just stops (the PBX's limit, a dropped leg, an export cut short) holds no
closing, so the criteria that judge the end of the call would fail an agent who may well
have closed. `find_cutoff` decides it from the transcript alone:

- speech runs to the end: the last words end within `max_trailing_silence_s` of the end of
  the recording (a finished call leaves the line quiet after the last word), and
- no closing exchange ("bye", "thanks for calling", "have a good day") in the last
  `closing_window_s` of speech, and
- the conversation is plainly unfinished: the last turn stops mid-phrase (a last word no
  English sentence ends on: "and", "the", "your"; in Japanese a comma, a conjunctive
  particle or a continuative form, "…ございませんので"; or, where the transcriber writes
  punctuation at all, no full stop, question or exclamation mark), or it asks a question
  nobody answers (Whisper drops a word cut in two and closes the sentence before it: "Would
  you like a bouquet?" of "Would you like a bouquet or sunflowers..."), or the agent has just
  put the caller on hold ("okay, hold on", "one moment"), or the last word ends right at the
  edge of the recording (`edge_s`), cut off while spoken.

A transfer ("let me put you through", "while I transfer you") is not a cut-off: it ends the
agent's part of the call, and the closing courtesies were due before it (the field case
F12_negated_goodbye is such a call, rated "no goodbye").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa_pipeline import nlp
from qa_pipeline.criteria.i18n import translation
from qa_pipeline.languages import ENGLISH, known_languages, language
from qa_pipeline.records import AGENT, Transcript, Utterance, ends_sentence
from qa_pipeline.timing import spoken_words


@dataclass(frozen=True)
class CutoffParams:
    """Thresholds of `find_cutoff`, in seconds.

    `max_trailing_silence_s` is the median silence before an agent's turn in real calls
    (Harper Valley calibration set; scripts/derive_thresholds.py): a recording that ends
    sooner after the last word ends inside an ordinary pause between turns.
    `edge_s` is the time stamps' own uncertainty: a word ending this close to the end was
    still being spoken when the recording stopped.
    """

    max_trailing_silence_s: float = 1.5
    closing_window_s: float = 30.0
    edge_s: float = 0.25


DEFAULT_PARAMS = CutoffParams()

# Words no English sentence ends on: articles, coordinating conjunctions, "of", possessive
# determiners ("thank you", "come in", "I think so", "call her" end sentences, so pronouns,
# particles and most prepositions are not here).
_OPEN_ENDINGS = frozenset({"a", "an", "the", "and", "or", "but", "because", "if", "whether", "than", "of",
                           "my", "your", "our", "their"})
_CLOSING = re.compile(
    r"\b(good ?bye|bye|thanks? (you )?for (calling|your call|ringing|your time)|have a (\w+ )?(\w+ )?"
    r"(day|evening|afternoon|weekend|morning|night|one)|take care|talk soon|speak soon|see you)\b"
)
_HOLD = re.compile(
    r"\b(hold on|on hold|hold the line|hold please|one moment|a moment|one second|just a sec(ond)?|bear with me|"
    r"hang on|let me (just )?(check|look|see|find)|give me a (second|minute|moment))\b"
)
# Japanese closings (the etiquette rubric's own are in rubrics/etiquette.ja.yaml); Whisper
# spells ありがとうございました also without the う.
_CLOSING_JA = re.compile(r"失礼(いた|致)?します|失礼しました|ありがとう?ございました|さようなら|お大事に|ごめんください")
# Whisper base punctuates Japanese only now and then, so a missing 。 says nothing; a turn
# that stops on a comma stops mid-phrase, and so does one whose last word joins on to what
# comes next (the language's `open_ending_tags` / `open_ending_forms`: "…ございませんので").
# A case particle does not: spoken Japanese leaves the rest unsaid ("じゃ、その日に",
# "それでは明日は"), as English ends on "come in", "call her".
_UNSPACED_TEXT = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
_OPEN_ENDINGS_UNSPACED = ("、", ",")
_TRANSFER = re.compile(r"\b(transfer(ring)? you|put you through|putting you through|connect you|connecting you)\b")


@dataclass(frozen=True)
class Cutoff:
    """Why the recording is taken to stop before the conversation ends, in the call's `language`."""

    reason: str
    language: str = ENGLISH

    @property
    def warning(self) -> str:
        _ = translation(self.language).gettext
        return _("recording cut off: {reason}; criteria that need the end of the call were not scored").format(
            reason=self.reason)


def find_cutoff(transcript: Transcript, params: CutoffParams = DEFAULT_PARAMS) -> Cutoff | None:
    """A `Cutoff` when `transcript` (its `duration_s` is the recording's) stops mid-conversation, else None."""
    spoken = [u for u in transcript.utterances if spoken_words(u.text)]
    if not spoken:
        return None
    last = max(spoken, key=lambda u: u.end)
    trailing = transcript.duration_s - last_word_end(last)
    if trailing > params.max_trailing_silence_s:
        return None
    tail = [u for u in spoken if u.end >= last.end - params.closing_window_s]
    if any(_CLOSING.search(_plain(u.text)) or _CLOSING_JA.search(u.text) for u in tail):
        return None
    lang = transcript.language or ENGLISH
    _ = translation(lang).gettext
    said = _("speech runs to {trailing} s before the end").format(trailing=f"{trailing:.1f}")
    punctuated = any(ends_sentence(u.text) for u in spoken if u is not last)
    if unfinished(last.text, punctuated, lang):
        reason = _("the last turn stops mid-phrase ({ending}); {said}; no closing").format(
            ending=repr(_ending(last.text)), said=said)
        return Cutoff(reason, lang)
    if last.text.rstrip().endswith("?"):
        reason = _("the last turn asks a question nobody answers ({ending}); {said}; no closing").format(
            ending=repr(_ending(last.text)), said=said)
        return Cutoff(reason, lang)
    if trailing <= params.edge_s:
        return Cutoff(_("the last word ends at the edge of the recording; no closing"), lang)
    agent_last = next((u for u in reversed(spoken) if u.speaker == AGENT), None)
    if agent_last is not None and on_hold(agent_last.text):
        reason = _("the agent put the caller on hold ({ending}); {said}; no closing").format(
            ending=repr(_ending(agent_last.text)), said=said)
        return Cutoff(reason, lang)
    return None


def last_word_end(utterance: Utterance) -> float:
    """When the utterance's last word ends (its end time when it has no word timings)."""
    return utterance.words[-1].end if utterance.words else utterance.end


def unfinished(text: str, punctuated: bool = True, lang: str = ENGLISH) -> bool:
    """Whether `text` (in language `lang`) stops mid-phrase: a last word no sentence ends on or,
    when the transcriber punctuates (`punctuated`), no sentence-final mark or a trailing "...".
    Text written without spaces (Japanese) stops mid-phrase on a comma or on a last word that
    joins on to the next (`open_ending`)."""
    words = spoken_words(text)
    if not words:
        return False
    if _UNSPACED_TEXT.search(text[-3:]):
        return text.rstrip().endswith(_OPEN_ENDINGS_UNSPACED) or open_ending(text, lang)
    no_mark = not ends_sentence(text) or text.rstrip().endswith("...")
    return words[-1] in _OPEN_ENDINGS or (punctuated and no_mark)


def open_ending(text: str, lang: str) -> bool:
    """Whether the last word of `text` (sentence marks aside) has one of the language's
    `open_ending_tags`, or an inflection form of its `open_ending_forms`: "故障はございませんので"."""
    spec = language(lang) if lang in known_languages() else None
    if spec is None or not (spec.open_ending_tags or spec.open_ending_forms):
        return False
    doc = nlp.parse([text], lang)[0]
    last = next((t for t in reversed(doc) if not (t.is_punct or t.is_space)), None)
    if last is None or last.text in spec.open_ending_exceptions:
        return False
    forms = [f.split(";")[-1] for f in last.morph.get("Inflection")]
    return last.tag_.startswith(spec.open_ending_tags) or any(
        last.tag_.startswith(tag) and any(f.startswith(form) for f in forms) for tag, form in spec.open_ending_forms)


def on_hold(text: str) -> bool:
    """Whether `text` puts the caller on hold (a transfer is not a hold: it ends the agent's part)."""
    plain = _plain(text)
    return bool(_HOLD.search(plain)) and not _TRANSFER.search(plain)


def _plain(text: str) -> str:
    return " ".join(spoken_words(text.replace("-", " ")))


def _ending(text: str, words: int = 6) -> str:
    return " ".join(text.split()[-words:])
