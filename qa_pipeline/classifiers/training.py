"""Fit a classifier and measure it honestly on settings it has not seen.

Held-out figures come from grouped cross-validation: the examples of each business
setting (dental clinic, courier, ...) are held out together, so a paraphrase of a
training sentence never sits in the test fold. ASR renderings share the group of the
text they were rendered from. The shipped model is then refitted on all the data.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from qa_pipeline.classifiers.data import Example
from qa_pipeline.classifiers.features import build_pipeline

THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass(frozen=True)
class HeldOutMetrics:
    """Held-out quality of a model, as written into its card."""

    method: str
    per_class: dict
    macro_f1: float
    accuracy: float
    by_source: dict = field(default_factory=dict)
    thresholds: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"method": self.method, "macro_f1": self.macro_f1, "accuracy": self.accuracy,
                "per_class": self.per_class, "by_source": self.by_source,
                "thresholds": self.thresholds}


def fit(examples: tuple[Example, ...], random_state: int = 0, calibration_folds: int = 3):
    """A Pipeline fitted on every example."""
    return fit_texts([e.text for e in examples], [e.label for e in examples], random_state, calibration_folds)


def fit_texts(texts: list[str], labels: list[str], random_state: int = 0, calibration_folds: int = 3):
    """A Pipeline fitted on `texts`; calibration uses as many folds as the rarest label allows.

    A label with a single example cannot be calibrated and is left out (this only
    happens in a cross-validation fold of a very small data set).
    """
    counts = Counter(labels)
    keep = [i for i, label in enumerate(labels) if counts[label] >= 2]
    if not keep:
        raise ValueError("every label has fewer than two examples")
    folds = min(calibration_folds, min(counts[labels[i]] for i in keep))
    pipeline = build_pipeline(random_state=random_state, calibration_folds=folds)
    return pipeline.fit([texts[i] for i in keep], [labels[i] for i in keep])


def evaluate(examples: tuple[Example, ...], labels: tuple[str, ...], folds: int = 5,
             random_state: int = 0, calibration_folds: int = 3) -> HeldOutMetrics:
    """Per-class precision/recall/F1 from out-of-fold predictions, grouped by setting."""
    from sklearn.model_selection import GroupKFold

    groups = [e.group for e in examples]
    folds = min(folds, len(set(groups)))
    if folds < 2:
        raise ValueError("held-out evaluation needs examples from at least two settings")
    texts = np.array([e.text for e in examples], dtype=object)
    truth = np.array([e.label for e in examples])
    probabilities = np.zeros((len(examples), len(labels)))
    for train, test in GroupKFold(n_splits=folds).split(texts, truth, groups):
        model = fit_texts(list(texts[train]), list(truth[train]), random_state, calibration_folds)
        columns = [labels.index(c) for c in model.classes_]
        probabilities[np.ix_(test, columns)] = model.predict_proba(list(texts[test]))
    predicted = np.array(labels)[probabilities.argmax(axis=1)]
    sources = np.array([e.source for e in examples])
    return HeldOutMetrics(
        method=f"GroupKFold({folds}) by setting, out-of-fold predictions",
        per_class=per_class_report(truth, predicted, labels),
        macro_f1=_macro_f1(truth, predicted, labels),
        accuracy=round(float(np.mean(truth == predicted)), 4),
        by_source={str(s): {"macro_f1": _macro_f1(truth[sources == s], predicted[sources == s], labels),
                       "count": int(np.sum(sources == s))} for s in sorted(set(sources))},
        thresholds=threshold_table(truth, probabilities, labels),
    )


def per_class_report(truth, predicted, labels: tuple[str, ...]) -> dict:
    from sklearn.metrics import precision_recall_fscore_support

    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=list(labels), zero_division=0)
    return {label: {"precision": round(float(p), 4), "recall": round(float(r), 4),
                    "f1": round(float(f), 4), "support": int(s)}
            for label, p, r, f, s in zip(labels, precision, recall, f1, support)}


def threshold_table(truth, probabilities, labels: tuple[str, ...]) -> dict:
    """For each label: precision and recall of "probability of this label >= t"."""
    table = {}
    for column, label in enumerate(labels):
        positive = truth == label
        rows = {}
        for t in THRESHOLDS:
            flagged = probabilities[:, column] >= t
            hits = int(np.sum(flagged & positive))
            rows[f"{t:.1f}"] = {
                "precision": round(hits / max(int(flagged.sum()), 1), 4),
                "recall": round(hits / max(int(positive.sum()), 1), 4),
            }
        table[label] = rows
    return table


def label_counts(examples: tuple[Example, ...]) -> dict:
    return dict(sorted(Counter(e.label for e in examples).items()))


def _macro_f1(truth, predicted, labels: tuple[str, ...]) -> float:
    from sklearn.metrics import f1_score

    present = [label for label in labels if label in set(truth)]
    if not present:
        return 0.0
    return round(float(f1_score(truth, predicted, labels=present, average="macro", zero_division=0)), 4)
