"""Shipped models: `models/<name>.joblib` (a fitted Pipeline) beside `models/<name>.json` (its card).

The card says what the model was trained on (data schema, hash, label counts), how well
it did on held-out settings, and with which versions it was built. A pickled scikit-learn
model is only safe to load with the version that wrote it, so loading checks the card
first and refuses, with the command that fixes it, anything missing, corrupt, or built
for another scikit-learn or data schema.
"""

from __future__ import annotations

import io
import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path

from qa_pipeline import __version__
from qa_pipeline.errors import ConfigError
from qa_pipeline.files import bundled_dir, write_atomic
from qa_pipeline.identity import content_hash

CARD_SCHEMA = "qa-pipeline.model-card/1"
REBUILD = "run `qa-pipeline train` to rebuild the models"
MODELS_ENV = "QA_PIPELINE_MODELS"


def default_model_dir() -> Path:
    """`$QA_PIPELINE_MODELS`, or the bundled models: the checkout's `models/`, an installed wheel's copy."""
    configured = os.environ.get(MODELS_ENV)
    return Path(configured) if configured else bundled_dir("models")


def versions() -> dict[str, str]:
    import sklearn

    return {"sklearn": sklearn.__version__, "pipeline": __version__, "python": platform.python_version()}


def save_model(pipeline, card: dict, directory: str | Path, name: str) -> tuple[Path, Path]:
    """Write `<name>.joblib` and `<name>.json`, each atomically; the card gains the artifact's sha256
    and versions."""
    import joblib

    directory = Path(directory)
    model_path, card_path = directory / f"{name}.joblib", directory / f"{name}.json"
    artifact = io.BytesIO()
    joblib.dump(pipeline, artifact, compress=3)
    write_atomic(model_path, artifact.getvalue())
    card = {"schema": CARD_SCHEMA, "name": name, **card, "versions": versions(),
            "artifact_sha256": content_hash(model_path),
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds")}
    write_atomic(card_path, json.dumps(card, indent=2, sort_keys=False) + "\n")
    return model_path, card_path


def read_card(directory: str | Path, name: str) -> dict:
    """The card of model `name`, raising ConfigError if it is missing or unreadable."""
    path = Path(directory) / f"{name}.json"
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: model card not found; {REBUILD}") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: unreadable model card ({exc}); {REBUILD}") from exc
    if not isinstance(card, dict) or card.get("schema") != CARD_SCHEMA:
        raise ConfigError(f"{path}: not a {CARD_SCHEMA} model card; {REBUILD}")
    return card


def load_classifier(directory: str | Path, name: str, data_schema: str):
    """The fitted Pipeline `name` and its card, after checking both belong to this install."""
    import joblib

    card = read_card(directory, name)
    card_path, model_path = Path(directory) / f"{name}.json", Path(directory) / f"{name}.joblib"
    _check_compatible(card_path, card, data_schema)
    if not model_path.is_file():
        raise ConfigError(f"{model_path}: model file not found; {REBUILD}")
    if content_hash(model_path) != card.get("artifact_sha256"):
        raise ConfigError(f"{model_path}: model file does not match its card (corrupt or replaced); {REBUILD}")
    try:
        pipeline = joblib.load(model_path)
    except Exception as exc:  # unpickling can fail in many ways; all mean "rebuild"
        raise ConfigError(f"{model_path}: cannot load model ({type(exc).__name__}); {REBUILD}") from exc
    if not hasattr(pipeline, "predict_proba"):
        raise ConfigError(f"{model_path}: not a classifier pipeline; {REBUILD}")
    return pipeline, card


def _check_compatible(card_path: Path, card: dict, data_schema: str) -> None:
    built = card.get("versions", {}).get("sklearn")
    installed = versions()["sklearn"]
    if built != installed:
        raise ConfigError(f"{card_path}: model built with scikit-learn {built}, "
                          f"but {installed} is installed; {REBUILD}")
    schema = card.get("data", {}).get("schema")
    if schema != data_schema:
        raise ConfigError(f"{card_path}: model trained on data schema {schema}, "
                          f"this version expects {data_schema}; {REBUILD}")

