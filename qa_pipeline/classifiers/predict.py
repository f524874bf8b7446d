"""Label a transcript with the shipped classifiers.

Each model is loaded once per process (and per model folder). Predictions are plain
`DialogueAct` records (label + calibrated probability), so the scoring stage can apply
its own thresholds from the rubric.

Only agent utterances get a dialogue act: customer utterances and every utterance of a
mono transcript (speaker `unknown`, roles not known) get `None`, because an act is only
meaningful for a known agent and role-dependent criteria are not applicable there.
"""

from __future__ import annotations

import functools
from pathlib import Path

from qa_pipeline.classifiers.build import DIALOGUE_ACT_MODEL, OUTCOME_MODEL, SPECS
from qa_pipeline.classifiers.model_io import default_model_dir, load_model
from qa_pipeline.records import AGENT, DialogueAct, Transcript, Utterance


def predict_dialogue_acts(transcript: Transcript, model_dir: str | Path | None = None
                          ) -> tuple[DialogueAct | None, ...]:
    """One entry per utterance of `transcript`: the agent's act, or None for other speakers."""
    agent = [i for i, u in enumerate(transcript.utterances) if u.speaker == AGENT and u.text.strip()]
    acts: list[DialogueAct | None] = [None] * len(transcript.utterances)
    if agent:
        predicted = classify_texts([transcript.utterances[i].text for i in agent], DIALOGUE_ACT_MODEL, model_dir)
        for index, act in zip(agent, predicted):
            acts[index] = act
    return tuple(acts)


def predict_outcome(transcript: Transcript, model_dir: str | Path | None = None) -> DialogueAct:
    """The call's outcome (e.g. `appointment_booked`) with its calibrated probability."""
    return classify_texts([call_text(transcript.utterances)], OUTCOME_MODEL, model_dir)[0]


def classify_texts(texts: list[str], model: str, model_dir: str | Path | None = None) -> list[DialogueAct]:
    """The most probable label of each text under model `model`."""
    pipeline = cached_model(model, str(model_dir or default_model_dir()))
    probabilities = pipeline.predict_proba(texts)
    best = probabilities.argmax(axis=1)
    return [DialogueAct(str(pipeline.classes_[b]), round(float(p[b]), 4)) for b, p in zip(best, probabilities)]


def call_text(utterances: tuple[Utterance, ...]) -> str:
    """A call as the outcome model reads it: one `A:` (agent) or `C:` (anyone else) line per utterance."""
    return "\n".join(f"{'A' if u.speaker == AGENT else 'C'}: {u.text.strip()}" for u in utterances if u.text.strip())


@functools.lru_cache(maxsize=8)
def cached_model(name: str, model_dir: str):
    """The fitted pipeline `name` from `model_dir`, loaded and checked once per process."""
    pipeline, _card = load_model(model_dir, name, SPECS[name].data_schema)
    return pipeline
