"""Roles from what is said: which speaker (or channel) is the agent, and how sure that is.

Each speaker's utterances are read with the project's NLP (`qa_pipeline.nlp`) and
dialogue-act classifier (`qa_pipeline.classifiers.predict`): the agent greets with the
company, gives their own name, offers help and asks for the caller's name; the caller
says what they are calling about. The cues and their weights are data
(`qa_pipeline/speech/roles.yaml`). The same decision serves both cases: the channels
of a stereo recording (labels "0" and "1") and the speakers of a diarized mono mix.
"""

from __future__ import annotations

import functools
import importlib.resources
import math
from dataclasses import dataclass
from typing import Mapping, Sequence

from qa_pipeline.errors import ConfigError
from qa_pipeline.records import AGENT, CUSTOMER, OTHER, Utterance


@dataclass(frozen=True)
class RoleCues:
    """The contents of roles.yaml (see that file for what each setting means)."""

    agent_acts: Mapping[str, float]
    act_min_probability: float
    phrases: Mapping[str, tuple[float, tuple[str, ...]]]
    first_speaker_weight: float
    confidence_scale: float
    min_confidence: float
    second_agent_min_score: float


@dataclass(frozen=True)
class RoleResult:
    """Roles of the speakers: `roles[label]` is agent, customer or other.

    `agent` is the label of the main agent (None when no speaker sounds like one);
    `confidence` (0-1) is how sure that choice is; `scores` are the cue sums per label
    and `cues` the names of the cues heard per label, for the scorecard's warnings.
    """

    roles: Mapping[str, str]
    agent: str | None
    confidence: float
    scores: Mapping[str, float]
    cues: Mapping[str, tuple[str, ...]]

    def low_confidence(self, cues: RoleCues | None = None) -> bool:
        return self.confidence < (cues or load_cues()).min_confidence


@functools.lru_cache(maxsize=1)
def load_cues() -> RoleCues:
    """The bundled role cues (`ConfigError` if the file is damaged)."""
    import yaml

    text = (importlib.resources.files("qa_pipeline") / "speech" / "roles.yaml").read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
        return RoleCues(
            agent_acts={str(k): float(v) for k, v in data["agent_acts"].items()},
            act_min_probability=float(data["act_min_probability"]),
            phrases={str(k): (float(v["weight"]), tuple(v["phrases"])) for k, v in data["phrases"].items()},
            first_speaker_weight=float(data["first_speaker_weight"]),
            confidence_scale=float(data["confidence_scale"]),
            min_confidence=float(data["min_confidence"]),
            second_agent_min_score=float(data["second_agent_min_score"]),
        )
    except (yaml.YAMLError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"qa_pipeline/speech/roles.yaml is damaged: {exc}") from exc


def decide_roles(by_speaker: Mapping[str, Sequence[Utterance]], cues: RoleCues | None = None) -> RoleResult:
    """Give each speaker label a role from what they said (see the module docstring).

    `by_speaker` maps a label ("0"/"1" for channels, "S1"... for diarized speakers) to
    that speaker's utterances. With no speech at all, nobody is the agent.
    """
    cues = cues or load_cues()
    speaking = {k: list(v) for k, v in by_speaker.items() if any(u.text.strip() for u in v)}
    if not speaking:
        return RoleResult({k: OTHER for k in by_speaker}, None, 0.0, {}, {})
    heard = {label: utterance_cues(utterances, cues) for label, utterances in speaking.items()}
    first = min(speaking, key=lambda k: min(u.start for u in speaking[k]))
    heard[first] = (*heard[first], ("speaks_first", cues.first_speaker_weight))
    scores = {label: round(sum(w for _, w in found), 3) for label, found in heard.items()}
    ranked = sorted(scores, key=lambda k: (-scores[k], k))
    # A lone voice speaks first by default, so only what it says can make it the agent.
    runner_up = scores[ranked[1]] if len(ranked) > 1 else cues.first_speaker_weight
    margin = scores[ranked[0]] - runner_up
    confidence = round(1.0 / (1.0 + math.exp(-margin / cues.confidence_scale)), 3)
    agent = ranked[0] if len(ranked) > 1 or margin > 0 else None
    roles = _assign(speaking, scores, agent, cues)
    roles.update({k: OTHER for k in by_speaker if k not in roles})
    names = {label: tuple(dict.fromkeys(name for name, _ in found)) for label, found in heard.items()}
    return RoleResult(roles, agent, confidence, scores, names)


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


def utterance_cues(utterances: Sequence[Utterance], cues: RoleCues) -> tuple[tuple[str, float], ...]:
    """(cue name, weight) for every cue heard in these utterances, each cue once per utterance."""
    from qa_pipeline import nlp

    texts = [u.text for u in utterances if u.text.strip()]
    found: list[tuple[str, float]] = []
    with nlp.TEXT_LOCK:
        heard = [[name for name, (_, phrases) in cues.phrases.items() if nlp.find_phrases(doc, phrases)]
                 for doc in nlp.parse(texts)]
    for names, act in zip(heard, _acts(texts)):
        found += [(name, cues.phrases[name][0]) for name in names]
        if act is not None and act.probability >= cues.act_min_probability and act.label in cues.agent_acts:
            found.append((f"act:{act.label}", cues.agent_acts[act.label]))
    return tuple(found)


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
