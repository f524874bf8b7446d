"""Label a transcript with the shipped classifiers.

Each model is loaded once per process (and per model folder). Predictions are plain
records, `DialogueAct` for an utterance and `CallOutcome` for a call (label + calibrated
probability), so the scoring stage can apply its own thresholds from the rubric. Nothing
here imports the training code (`build`, `training`).

Only agent utterances get a dialogue act: customer utterances and every utterance of a
mono transcript (speaker `unknown`, roles not known) get `None`, because an act is only
meaningful for a known agent and role-dependent criteria are not applicable there.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from qa_pipeline.annotations import memoized
from qa_pipeline.classifiers.data import ACT_PRIORITY, DIALOGUE_ACT_MODEL, MODEL_DATA_SCHEMAS, OUTCOME_MODEL
from qa_pipeline.classifiers.model_io import default_model_dir, load_classifier
from qa_pipeline.records import AGENT, CallOutcome, DialogueAct, Transcript, Utterance

# Acts a single question can establish for its utterance. Closing and feedback acts
# ("Thank you.", "Okay.") are often filler inside a longer turn, and on sample calls a
# lone sentence was too often mistaken for a name ("Good morning, Clearview Windows.")
# or a price ("three hundred gallons", a phone number), so those, and statements,
# are judged on the whole utterance only.
SENTENCE_ACTS = frozenset({"name_request", "contact_request", "discovery_question", "hold_request"})
SENTENCE_ACT_MIN = 0.5
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")


def predict_dialogue_acts(transcript: Transcript, model_dir: str | Path | None = None
                          ) -> tuple[DialogueAct | None, ...]:
    """One entry per utterance of `transcript`: the agent's primary act, or None for other speakers.

    A long utterance can hide a short act ("Thank you. ... May I have your name?"), so
    each question in it is classified too, and a question's act replaces the whole
    utterance's when it ranks higher in `ACT_PRIORITY` and is at least
    `SENTENCE_ACT_MIN` probable.
    """
    agent = [i for i, u in enumerate(transcript.utterances) if u.speaker == AGENT and u.text.strip()]
    acts: list[DialogueAct | None] = [None] * len(transcript.utterances)
    if not agent:
        return tuple(acts)
    pieces = [[transcript.utterances[i].text, *questions_in(transcript.utterances[i].text)] for i in agent]
    predicted = iter(classify_texts([p for group in pieces for p in group], DIALOGUE_ACT_MODEL, model_dir))
    for index, group in zip(agent, pieces):
        whole, *parts = [next(predicted) for _ in group]
        acts[index] = primary_act(whole, parts)
    return tuple(acts)


def primary_act(whole: DialogueAct, sentence_acts: list[DialogueAct]) -> DialogueAct:
    """The utterance's act, upgraded by a confident sentence whose act ranks higher."""
    upgrades = [a for a in sentence_acts if a.label in SENTENCE_ACTS and a.probability >= SENTENCE_ACT_MIN
                and ACT_PRIORITY.index(a.label) < ACT_PRIORITY.index(whole.label)]
    return min(upgrades, key=lambda a: (ACT_PRIORITY.index(a.label), -a.probability), default=whole)


def questions_in(text: str) -> list[str]:
    """The questions of a multi-sentence utterance (none for a single sentence)."""
    parts = [p.strip() for p in _SENTENCE_END.split(text) if p.strip()]
    return [p for p in parts if p.endswith("?")] if len(parts) > 1 else []


def predict_outcome(transcript: Transcript, model_dir: str | Path | None = None) -> CallOutcome:
    """The call's outcome (e.g. `appointment_booked`) with its calibrated probability."""
    ((label, probability),) = best_labels([call_text(transcript.utterances)], OUTCOME_MODEL, model_dir)
    return CallOutcome(label, probability)


def classify_texts(texts: list[str], model: str = DIALOGUE_ACT_MODEL,
                   model_dir: str | Path | None = None) -> list[DialogueAct]:
    """The most probable dialogue act of each text under the dialogue-act model `model`."""
    return [DialogueAct(label, probability) for label, probability in best_labels(texts, model, model_dir)]


def best_labels(texts: list[str], model: str, model_dir: str | Path | None = None) -> list[tuple[str, float]]:
    """(the most probable label, its calibrated probability to 4 places) of each text under model `model`."""
    pipeline = cached_model(model, str(model_dir or default_model_dir()))

    def classify(todo: list[str]) -> list[tuple[str, float]]:
        probabilities = pipeline.predict_proba(todo)
        best = probabilities.argmax(axis=1)
        return [(str(pipeline.classes_[b]), round(float(p[b]), 4)) for b, p in zip(best, probabilities)]

    # Within a call (`annotations.call_annotations`) the roles stage and the criteria share one pass.
    return memoized(f"{model}@{model_dir or ''}", texts, classify)


def call_text(utterances: tuple[Utterance, ...]) -> str:
    """A call as the outcome model reads it: one `A:` (agent) or `C:` (anyone else) line per utterance."""
    return "\n".join(f"{'A' if u.speaker == AGENT else 'C'}: {u.text.strip()}" for u in utterances if u.text.strip())


@functools.lru_cache(maxsize=8)
def cached_model(name: str, model_dir: str):
    """The fitted pipeline `name` from `model_dir`, loaded and checked once per process."""
    pipeline, _card = load_classifier(model_dir, name, MODEL_DATA_SCHEMAS[name])
    return pipeline
