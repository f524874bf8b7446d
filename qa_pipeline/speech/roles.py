"""Roles from what is said: which speaker (or channel) is the agent, and how sure that is.

Each speaker's utterances are read with the project's NLP (`qa_pipeline.nlp`) and
dialogue-act classifier (`qa_pipeline.classifiers.predict`). First the call's direction
is read from its opening (`qa_pipeline.speech.direction`), or taken from metadata; then
each cue counts with its weight for that direction: on an inbound call the agent greets
with the company, gives their own name, offers help and asks for the caller's name, and
the caller says what they are calling about; on an outbound call the customer picks up
("Hello?") and the agent says whom they speak for and why they call. The cues and their
weights are data (`qa_pipeline/speech/roles.yaml`). The same decision serves both cases:
the channels of a stereo recording (labels "0" and "1") and the speakers of a diarized
mono mix.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.resources
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qa_pipeline.errors import ConfigError
from qa_pipeline.records import AGENT, CUSTOMER, DIRECTIONS, INBOUND, OTHER, OUTBOUND, Utterance
from qa_pipeline.speech.direction import AUTO, CallDirection, read_direction

SPEAKS_FIRST = "speaks_first"
# The direction of a call whose opening was not read: inbound, the call the guides describe.
UNREAD = CallDirection(INBOUND, "speech", 0.5)


@dataclass(frozen=True)
class Cue:
    """One cue: its weight per direction, how a supervisor reads it (`says`), its phrases
    (none for a dialogue act), and, for a pick-up cue, the most words the speaker's first
    utterance may have for it to count."""

    weights: Mapping[str, float]
    says: str
    phrases: tuple[str, ...] = ()
    first_utterance_max_words: int | None = None

    def weight(self, direction: str) -> float:
        return self.weights[direction]


@dataclass(frozen=True)
class RoleCues:
    """The contents of roles.yaml (see that file for what each setting means)."""

    agent_acts: Mapping[str, Cue]
    act_min_probability: float
    phrases: Mapping[str, Cue]
    direction_opening: int
    min_outbound_score: float
    direction_weights: Mapping[str, Mapping[str, float]]
    first_speaker_weight: Mapping[str, float]
    confidence_scale: float
    min_confidence: float
    second_agent_min_score: float
    announcements: tuple[str, ...] = ()
    # The language the phrases are in; outside English the dialogue-act classifier (trained
    # on English calls) is not asked.
    language: str = "en"

    def cue(self, name: str) -> Cue | None:
        """The cue named as in `RoleResult.cues` ("offers_help", "act:greeting_offer")."""
        return self.agent_acts.get(name[4:]) if name.startswith("act:") else self.phrases.get(name)


@dataclass(frozen=True)
class RoleResult:
    """Roles of the speakers: `roles[label]` is agent, customer or other.

    `agent` is the label of the main agent (None when no speaker sounds like one);
    `confidence` (0-1) is how sure that choice is; `scores` are the cue sums per label
    and `cues` the names of the cues heard per label, for the scorecard's warnings;
    `direction` is the call's direction the scores were read under; `moved` holds the
    utterances given to another label than the one they came with, with that label (an
    outbound call's pick-up that the diarizer gave to the agent's voice).
    """

    roles: Mapping[str, str]
    agent: str | None
    confidence: float
    scores: Mapping[str, float]
    cues: Mapping[str, tuple[str, ...]]
    direction: CallDirection = UNREAD
    moved: tuple[tuple[Utterance, str], ...] = ()

    def low_confidence(self, cues: RoleCues | None = None) -> bool:
        return self.confidence < (cues or load_cues()).min_confidence

    def label_of(self, utterance: Utterance) -> str:
        """The speaker label `utterance` belongs to once the roles are decided."""
        return next((label for u, label in self.moved if u == utterance), utterance.speaker)


def _weights(value: Any) -> dict[str, float]:
    if isinstance(value, Mapping):
        return {d: float(value[d]) for d in DIRECTIONS}
    return {d: float(value) for d in DIRECTIONS}


def _cue(entry: Mapping[str, Any]) -> Cue:
    limit = entry.get("first_utterance_max_words")
    return Cue(_weights(entry["weight"]), str(entry["says"]), tuple(entry.get("phrases", ())),
               None if limit is None else int(limit))


@functools.lru_cache(maxsize=8)
def load_cues(language: str = "en") -> RoleCues:
    """The bundled role cues, with the phrases in `language` where roles.yaml gives them
    (its ``languages:`` block; a cue it leaves out has no phrases there). `ConfigError` if the
    file is damaged."""
    import yaml

    text = (importlib.resources.files("qa_pipeline") / "speech" / "roles.yaml").read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
        direction = data["direction"]
        phrases = {str(k): _cue(v) for k, v in data["phrases"].items()}
        if language != "en":
            local = (data.get("languages") or {}).get(language) or {}
            phrases = {k: dataclasses.replace(c, phrases=tuple(local.get(k, ()))) for k, c in phrases.items()}
        return RoleCues(
            agent_acts={str(k): _cue(v) for k, v in data["agent_acts"].items()},
            act_min_probability=float(data["act_min_probability"]),
            phrases=phrases,
            direction_opening=int(direction["opening_utterances"]),
            min_outbound_score=float(direction["min_outbound_score"]),
            direction_weights={d: {str(k): float(v) for k, v in direction[d].items()} for d in DIRECTIONS},
            first_speaker_weight=_weights(data["first_speaker_weight"]),
            confidence_scale=float(data["confidence_scale"]),
            min_confidence=float(data["min_confidence"]),
            second_agent_min_score=float(data["second_agent_min_score"]),
            announcements=tuple(data.get("announcements", ())),
            language=language,
        )
    except (yaml.YAMLError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"qa_pipeline/speech/roles.yaml is damaged: {exc}") from exc


def decide_roles(by_speaker: Mapping[str, Sequence[Utterance]], cues: RoleCues | None = None,
                 direction: str = AUTO, diarized: bool = False) -> RoleResult:
    """Give each speaker label a role from what they said (see the module docstring).

    `by_speaker` maps a label ("0"/"1" for channels, "S1"... for diarized speakers) to
    that speaker's utterances. `direction` is "inbound" or "outbound" when the site's
    metadata gives it, else "auto" (read from the opening). With no speech at all, nobody
    is the agent. `diarized` (labels from a diarizer, not channels): on an outbound call
    whose opening pick-up ("Hello?") landed in the agent's voice, the pick-up is given to
    the customer (`RoleResult.moved`): the one who answers an outbound call is the customer,
    and a second of speech is too little for a diarizer to tell voices apart by.
    """
    cues = cues or load_cues()
    speaking = {k: list(v) for k, v in by_speaker.items() if any(u.text.strip() for u in v)}
    if not speaking:
        return RoleResult({k: OTHER for k in by_speaker}, None, 0.0, {}, {}, _call_direction({}, cues, direction))
    heard = heard_cues(speaking, cues)
    call = _call_direction(heard, cues, direction)
    result = _scored(speaking, heard, call, cues)
    pickup = _misplaced_pickup(speaking, heard, result, cues) if diarized and call.direction == OUTBOUND else None
    if pickup is not None:
        utterance, to = pickup
        speaking, heard = _moved(speaking, heard, utterance, to, cues)
        result = dataclasses.replace(_scored(speaking, heard, call, cues), moved=((utterance, to),))
    roles = dict(result.roles)
    roles.update({k: OTHER for k in by_speaker if k not in roles})
    return dataclasses.replace(result, roles=roles)


def _scored(speaking: Mapping[str, list[Utterance]], heard: Mapping[str, list[tuple[Utterance, tuple[str, ...]]]],
            call: CallDirection, cues: RoleCues) -> RoleResult:
    """The speakers' scores under the call's direction, and the roles they give."""
    way = call.direction
    first = min(speaking, key=lambda k: min(u.start for u in speaking[k]))
    found = {label: [name for _, names in pairs for name in names] for label, pairs in heard.items()}
    found[first].append(SPEAKS_FIRST)
    scores = {label: round(sum(_weight(name, way, cues) for name in names), 3) for label, names in found.items()}
    ranked = sorted(scores, key=lambda k: (-scores[k], k))
    # A lone voice speaks first by default, so only what it says can make it the agent.
    runner_up = scores[ranked[1]] if len(ranked) > 1 else cues.first_speaker_weight[way]
    margin = scores[ranked[0]] - runner_up
    confidence = round(1.0 / (1.0 + math.exp(-margin / cues.confidence_scale)), 3)
    agent = ranked[0] if len(ranked) > 1 or margin > 0 else None
    names = {label: tuple(dict.fromkeys(n for n in found_names if _weight(n, way, cues) != 0))
             for label, found_names in found.items()}
    return RoleResult(_assign(speaking, scores, agent, cues), agent, confidence, scores, names, call)


def _misplaced_pickup(speaking: Mapping[str, list[Utterance]],
                      heard: Mapping[str, list[tuple[Utterance, tuple[str, ...]]]], result: RoleResult,
                      cues: RoleCues) -> tuple[Utterance, str] | None:
    """The call's first utterance and the customer's label, when that utterance is a pick-up
    cue alone ("Hello.") in the voice chosen as the agent, who says more than that."""
    label, (utterance, names) = min(((k, pair) for k, pairs in heard.items() for pair in pairs),
                                    key=lambda item: item[1][0].start)
    pickup_only = bool(names) and all(not _not_pickup_only(cues.cue(n)) for n in names)
    customer = next((k for k, role in result.roles.items() if role == CUSTOMER), None)
    if label != result.agent or not pickup_only or customer is None or len(speaking[label]) < 2:
        return None
    return utterance, customer


def _moved(speaking: Mapping[str, list[Utterance]], heard: Mapping[str, list[tuple[Utterance, tuple[str, ...]]]],
           utterance: Utterance, to: str, cues: RoleCues):
    """`speaking` and `heard` with `utterance` (the call's first) moved to label `to`, whose
    utterance that was first before keeps no pick-up cue."""
    pair = next(p for pairs in heard.values() for p in pairs if p[0] is utterance)
    later = [(u, tuple(n for n in names if _not_pickup_only(cues.cue(n)))) for u, names in heard[to]]
    new_heard = {k: [p for p in pairs if p[0] is not utterance] for k, pairs in heard.items() if k != to}
    new_heard[to] = [pair, *later]
    new_speaking = {k: [u for u in us if u is not utterance] for k, us in speaking.items() if k != to}
    new_speaking[to] = [utterance, *speaking[to]]
    return new_speaking, new_heard


def _weight(name: str, direction: str, cues: RoleCues) -> float:
    if name == SPEAKS_FIRST:
        return cues.first_speaker_weight[direction]
    cue = cues.cue(name)
    return cue.weight(direction) if cue is not None else 0.0


def _not_pickup_only(cue) -> bool:
    """A cue that may count past the first utterance: known, and not a pick-up ("Hello?") cue."""
    return cue is not None and cue.first_utterance_max_words is None


def _call_direction(heard: Mapping[str, list[tuple[Utterance, tuple[str, ...]]]], cues: RoleCues,
                    given: str) -> CallDirection:
    """The direction from the cues of the call's first utterances; a pick-up cue only in the very first."""
    ordered = sorted((u.start, names) for pairs in heard.values() for u, names in pairs)[: cues.direction_opening]
    opening = [tuple(n for n in names if k == 0 or _not_pickup_only(cues.cue(n))) for k, (_, names) in enumerate(ordered)]
    return read_direction(opening, cues.direction_weights, cues.confidence_scale, cues.min_outbound_score, given)


def _assign(speaking: Mapping[str, list[Utterance]], scores: Mapping[str, float], agent: str | None,
            cues: RoleCues) -> dict[str, str]:
    """Roles once the agent is chosen: the most talkative other speaker is the customer."""
    rest = sorted((k for k in speaking if k != agent), key=lambda k: -_words(speaking[k]))
    roles = {} if agent is None else {agent: AGENT}
    for index, label in enumerate(rest):
        if agent is not None and len(speaking) > 2 and scores[label] >= cues.second_agent_min_score:
            roles[label] = AGENT
        elif index == 0 or scores[label] < 0:
            roles[label] = CUSTOMER
        else:
            roles[label] = OTHER
    return roles


def heard_cues(speaking: Mapping[str, Sequence[Utterance]], cues: RoleCues
               ) -> dict[str, list[tuple[Utterance, tuple[str, ...]]]]:
    """Per speaker, each utterance with the names of the cues heard in it (each cue once).

    A pick-up cue (`first_utterance_max_words`) counts only in the speaker's first
    utterance, and only when it is that short.
    """
    from qa_pipeline import nlp

    spoken = [(label, u) for label, utterances in speaking.items() for u in utterances if u.text.strip()]
    texts = [u.text for _, u in spoken]
    with nlp.TEXT_LOCK:
        docs = nlp.parse(texts, cues.language)
        phrase_hits = [[name for name, cue in cues.phrases.items() if nlp.find_phrases(doc, cue.phrases)]
                       for doc in docs]
    firsts = {label: min(u.start for u in utterances if u.text.strip()) for label, utterances in speaking.items()}
    out: dict[str, list[tuple[Utterance, tuple[str, ...]]]] = {label: [] for label in speaking}
    acts = _acts(texts) if cues.language == "en" else [None] * len(texts)
    for (label, u), names, act in zip(spoken, phrase_hits, acts):
        kept = [n for n in names if _counts_here(cues.phrases[n], u, u.start == firsts[label])]
        if act is not None and act.probability >= cues.act_min_probability and act.label in cues.agent_acts:
            kept.append(f"act:{act.label}")
        out[label].append((u, tuple(kept)))
    return out


def _counts_here(cue: Cue, utterance: Utterance, first: bool) -> bool:
    limit = cue.first_utterance_max_words
    return limit is None or (first and len(utterance.text.split()) <= limit)


def _acts(texts: list[str]) -> list:
    """The dialogue-act classifier's primary act of each text; Nones when no model is built."""
    from qa_pipeline.classifiers.data import DIALOGUE_ACT_MODEL
    from qa_pipeline.classifiers.predict import classify_texts, primary_act, questions_in

    if not texts:
        return []
    pieces = [[text, *questions_in(text)] for text in texts]
    try:
        predicted = iter(classify_texts([p for group in pieces for p in group], DIALOGUE_ACT_MODEL))
    except ConfigError:  # the classifier is optional: the phrase cues still decide
        return [None] * len(texts)
    acts = []
    for group in pieces:
        whole, *parts = [next(predicted) for _ in group]
        acts.append(primary_act(whole, parts))
    return acts


def _words(utterances: Sequence[Utterance]) -> int:
    return sum(len(u.text.split()) for u in utterances)


def cue_summary(result: RoleResult, label_name, cues: RoleCues | None = None) -> str:
    """What the roles rest on, for a supervisor: "channel 1 (right) sounds like the agent:
    they offer help and greet with the company; channel 0 (left) sounds like the customer:
    they say they are calling". A cue that counts against a speaker's role under the call's
    direction is named apart ("..., though they also answer the phone"): on an outbound call
    answering the phone is the customer's part. `label_name(label)` names a speaker label."""
    cues = cues or load_cues()
    way = result.direction.direction
    order = sorted(result.cues, key=lambda k: (k != result.agent, k))
    parts = []
    for label in order:
        role = result.roles.get(label, OTHER)
        sign = 1.0 if role == AGENT else -1.0
        names = result.cues[label]
        said = list(dict.fromkeys(_says(n, cues) for n in names if sign * _weight(n, way, cues) > 0))
        against = list(dict.fromkeys(_says(n, cues) for n in names if sign * _weight(n, way, cues) < 0))
        if said:
            part = f"{label_name(label)} sounds like the {role}: they {_listed(said)}"
            parts.append(part + (f", though they also {_listed(against)}" if against else ""))
        elif against:
            parts.append(f"{label_name(label)} is taken for the {role}, though they {_listed(against)}")
        else:
            parts.append(f"{label_name(label)} is taken for the {role}: nothing they say points either way")
    return "; ".join(parts)


def _listed(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _says(name: str, cues: RoleCues) -> str:
    if name == SPEAKS_FIRST:
        return "speak first"
    cue = cues.cue(name)
    return cue.says if cue else name
