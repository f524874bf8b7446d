"""The call-status classifier: `models/sales_status.joblib` and its card.

A scikit-learn pipeline (word and character TF-IDF -> calibrated logistic regression, the
features of `qa_pipeline.classifiers.features`) over the call as `A:`/`C:` lines. It is
built by `scripts/train_sales.py` from data/sales/ with a fixed seed, and loaded and
checked like the other shipped models (`classifiers.model_io`). Nothing here trains.
"""

from __future__ import annotations

import functools
from pathlib import Path

from qa_pipeline.classifiers.model_io import default_model_dir, load_classifier
from qa_pipeline.classifiers.predict import call_text
from qa_pipeline.errors import ConfigError
from qa_pipeline.records import Utterance

SALES_CALLS_SCHEMA = "qa-pipeline.sales-calls/1"
SALES_MODEL = "sales_status"


@functools.lru_cache(maxsize=4)
def _cached(name: str, model_dir: str):
    # Read-only after loading: scikit-learn's predict_proba does not change the fitted pipeline,
    # so one copy per process is shared by the threads scoring calls.
    pipeline, _card = load_classifier(model_dir, name, SALES_CALLS_SCHEMA)
    return pipeline


def status_probabilities(utterances: tuple[Utterance, ...], name: str = SALES_MODEL,
                         model_dir: str | Path | None = None) -> dict[str, float] | None:
    """Status -> the model's calibrated probability for this call; None when no model is built."""
    try:
        pipeline = _cached(name, str(model_dir or default_model_dir()))
    except ConfigError:
        return None
    text = call_text(utterances)
    if not text:
        return None
    row = pipeline.predict_proba([text])[0]
    return {str(label): float(p) for label, p in zip(pipeline.classes_, row)}
