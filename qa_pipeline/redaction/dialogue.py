"""PII found by the conversation, not by the words: the answers to questions that ask for it.

When the agent asks for a card number, a date of birth, an address, an email or a phone
number ("Can I take the long number on the card?"), or the customer announces one ("my
postcode is ..."), whatever the customer says next, up to the agent's next real turn, is
that answer, whatever ASR made of it. `find_answers` returns each answer's time window
(for the audio, which `redaction.audio` then fits to the customer channel's own speech)
and the pieces of text that hold it (for the transcript).

Prompt, announcement and filler phrases are lexicon lists (`lexicon.yaml`: `prompts`,
`requests`, `announcements`, `answer_lead`, `answers`). Pure functions of utterances.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qa_pipeline.records import AGENT, CUSTOMER, Utterance
from qa_pipeline.redaction.settings import ENTITIES
from qa_pipeline.redaction.stream import word_offsets

_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?|@")
_TRAILING = " \t.,;:!?"


@dataclass(frozen=True)
class Answer:
    """One answer that holds PII.

    `start`/`end` (seconds): from the end of the question (or the announcing words) to the
    start of the asking side's next real turn, or `answers.max_s` later (`open`: no such
    turn came). `channel`: the answering side's channel (None: mono or unknown).
    `pieces`: (utterance index, first character, end character) of the answer's text.
    """

    entity: str
    start: float
    end: float
    channel: int | None
    pieces: tuple[tuple[int, int, int], ...]
    open: bool = False
    asked: bool = True  # False: the customer announced it ("my postcode is")

    @property
    def kind(self) -> str:
        """`engine.PiiSpan.kind` of its window: "answer"/"announced", with "open_" when no turn closed it."""
        return ("open_" if self.open else "") + ("answer" if self.asked else "announced")


@dataclass(frozen=True)
class _Prompt:
    entity: str
    at: float  # seconds: where the answer may begin
    answerers: frozenset[str] | None  # the speakers who answer; None: anyone but the asker
    text_from: int  # character where the answer begins in the prompting utterance (announcements)


def find_answers(utterances: Sequence[Utterance], lexicon: Mapping[str, Any], entities: Sequence[str],
                 duration_s: float, channels: int = 1) -> list[Answer]:
    """The PII answers of a call, in time order (see the module docstring)."""
    config = lexicon.get("answers", {}) or {}
    max_s = float(config.get("max_s", 30.0))
    short = int(config.get("backchannel_words", 3))
    lead = {str(w).lower() for w in lexicon.get("answer_lead", ())}
    wanted = set(entities)
    prompts = [_prompt(u, lexicon, wanted) for u in utterances]
    answers = []
    for i, (u, prompt) in enumerate(zip(utterances, prompts)):
        if prompt is None:
            continue
        asker = u.speaker
        answerers = prompt.answerers
        end, closed = min(prompt.at + max_s, duration_s or prompt.at + max_s), False
        pieces = []
        if answerers is not None and prompt.text_from < len(u.text.rstrip(_TRAILING)):
            pieces.append(_piece(i, u.text, prompt.text_from, lead))
        for j in range(i + 1, len(utterances)):
            v = utterances[j]
            if v.start >= prompt.at + max_s:
                break
            answering = v.speaker in answerers if answerers is not None else v.speaker != asker
            if answering and prompts[j] is not None:  # the customer announces the next one
                end, closed = max(prompt.at, v.start), True
                break
            if not answering:
                if _substantive(v, short) or prompts[j] is not None:
                    end, closed = max(prompt.at, v.start), True
                    break
                continue
            pieces.append(_piece(j, v.text, 0, lead))
        channel = _answer_channel(utterances, [p[0] for p in pieces], u, answerers, channels)
        answers.append(Answer(prompt.entity, prompt.at, max(end, prompt.at), channel,
                              tuple(p for p in pieces if p[1] < p[2]), open=not closed, asked=answerers is None))
    return answers


def _prompt(u: Utterance, lexicon: Mapping[str, Any], wanted: set[str]) -> _Prompt | None:
    """The PII this utterance asks for (an agent's request) or announces (the customer's)."""
    text = u.text.lower()
    if u.speaker != CUSTOMER:  # the agent, or a speaker of unknown role who asks
        found = _last_phrase(text, lexicon.get("prompts", {}), wanted)
        if found is not None and ("?" in text or (u.speaker == AGENT and _has_any(text, lexicon.get("requests", ())))):
            return _Prompt(found[0], u.end, None, len(u.text))
    if u.speaker != AGENT:
        found = _last_phrase(text, lexicon.get("announcements", {}), wanted)
        if found is not None:
            entity, end_char = found
            return _Prompt(entity, _time_after(u, end_char), frozenset({u.speaker}), end_char)
    return None


def _last_phrase(text: str, phrases: Mapping[str, Sequence[str]], wanted: set[str]) -> tuple[str, int] | None:
    """(entity, end character) of the phrase that ends last in `text` (the longest on a tie)."""
    best = None
    for kind, items in (phrases or {}).items():
        entity = ENTITIES.get(kind)
        if entity not in wanted:
            continue
        for phrase in items:
            for m in re.finditer(r"(?<![a-z0-9])" + re.escape(str(phrase).lower()) + r"(?![a-z0-9])", text):
                key = (m.end(), m.end() - m.start())
                if best is None or key > best[0]:
                    best = (key, entity)
    return None if best is None else (best[1], best[0][0])


def _has_any(text: str, words: Sequence[str]) -> bool:
    return any(re.search(r"(?<![a-z0-9])" + re.escape(str(w).lower()) + r"(?![a-z0-9])", text) for w in words)


def _time_after(u: Utterance, char: int) -> float:
    """When the words before character `char` of the utterance have been said."""
    before = [w.end for w, (s, e) in zip(u.words, word_offsets(u)) if 0 <= e <= char]
    return max(before) if before else u.start


def _piece(index: int, text: str, start: int, lead: set[str]) -> tuple[int, int, int]:
    """(index, first, end) of the answer in `text` from `start`: leading fillers ("yes, it's")
    and trailing punctuation left out."""
    end = len(text.rstrip(_TRAILING))
    at = start
    for m in _WORD.finditer(text.lower(), start):
        if m.group() not in lead:
            at = m.start()
            break
    else:
        at = end
    return index, min(at, end), end


def _substantive(u: Utterance, short: int) -> bool:
    """More than a backchannel ("okay", "mhm", "go on"): it ends the other side's answer."""
    return len(_WORD.findall(u.text.lower())) > short


def _answer_channel(utterances: Sequence[Utterance], answered: list[int], asked: Utterance,
                    answerers: frozenset[str] | None, channels: int) -> int | None:
    if channels < 2:
        return None
    for k in answered:
        if utterances[k].channel is not None:
            return utterances[k].channel
    for v in utterances:  # the answering side's channel when ASR heard none of this answer
        if v.channel is not None and (v.speaker in answerers if answerers is not None else v.speaker != asked.speaker):
            return v.channel
    return None if asked.channel is None else 1 - asked.channel
