"""Rebuild every shipped classifier from the training data: `qa-pipeline train`.

Each model is evaluated on held-out settings, refitted on all data with a fixed
random_state, and written with its card. The same data and versions give the same
predictions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qa_pipeline.classifiers import data as training_data
from qa_pipeline.classifiers.data import DIALOGUE_ACT_MODEL, OUTCOME_MODEL
from qa_pipeline.classifiers.model_io import save_model
from qa_pipeline.classifiers.training import evaluate, fit, label_counts
from qa_pipeline.errors import ConfigError

RANDOM_STATE = 0


@dataclass(frozen=True)
class ModelSpec:
    """What a model learns: its labels, data schema, and how its examples are read."""

    name: str
    task: str
    labels: tuple[str, ...]
    data_schema: str
    load: Callable[[Path], tuple[training_data.Example, ...]]


SPECS = {
    DIALOGUE_ACT_MODEL: ModelSpec(
        DIALOGUE_ACT_MODEL, "dialogue act of one agent utterance", training_data.DIALOGUE_ACTS,
        training_data.MODEL_DATA_SCHEMAS[DIALOGUE_ACT_MODEL],
        lambda root: training_data.load_dialogue_acts(root / "dialogue_acts", root / "asr_augmented")),
    OUTCOME_MODEL: ModelSpec(
        OUTCOME_MODEL, "outcome of one call from its agent and customer text", training_data.OUTCOMES,
        training_data.MODEL_DATA_SCHEMAS[OUTCOME_MODEL], lambda root: training_data.load_outcomes(root / "outcomes")),
}


def train_model(spec: ModelSpec, data_dir: str | Path, out_dir: str | Path,
                random_state: int = RANDOM_STATE, folds: int = 5) -> dict:
    """Evaluate, fit and save one model; return its card."""
    examples = spec.load(Path(data_dir))
    _check_enough(spec, examples)
    evaluation = evaluate(examples, spec.labels, folds=folds, random_state=random_state)
    pipeline = fit(examples, random_state=random_state)
    card = {
        "task": spec.task,
        "labels": list(spec.labels),
        "estimator": "word(1-2) + char_wb(2-5) TF-IDF -> LogisticRegression, sigmoid-calibrated",
        "random_state": random_state,
        "data": {
            "schema": spec.data_schema,
            "sha256": training_data.data_hash(examples),
            "examples": len(examples),
            "label_counts": label_counts(examples),
            "source_counts": dict(sorted(Counter(e.source for e in examples).items())),
            "settings": sorted({e.setting for e in examples}),
        },
        "evaluation": evaluation.as_dict(),
    }
    save_model(pipeline, card, out_dir, spec.name)
    return card


def train_all(data_dir: str | Path, out_dir: str | Path, names: tuple[str, ...] = tuple(SPECS),
              random_state: int = RANDOM_STATE) -> dict[str, dict]:
    """Rebuild the named models (all by default); return their cards by name."""
    unknown = set(names) - SPECS.keys()
    if unknown:
        raise ConfigError(f"unknown model {sorted(unknown)}; expected one of {', '.join(SPECS)}")
    return {name: train_model(SPECS[name], data_dir, out_dir, random_state) for name in names}


def _check_enough(spec: ModelSpec, examples) -> None:
    counts = Counter(e.label for e in examples)
    missing = [label for label in spec.labels if counts[label] < 2]
    if missing:
        raise ConfigError(f"{spec.name}: every label needs at least 2 examples; too few for {', '.join(missing)}")
    if len({e.group for e in examples}) < 2:
        raise ConfigError(f"{spec.name}: held-out evaluation needs examples from at least two settings")
