"""Training data for the classifiers: hand-written YAML and ASR-augmented JSONL.

Dialogue-act files (`data/dialogue_acts/*.yaml`) come in one of two shapes:

    schema: qa-pipeline.dialogue-acts/1
    setting: dental clinic
    acts:
      price_statement:
        - The extraction itself is around ninety dollars.

or, for utterances from many settings in one file,

    schema: qa-pipeline.dialogue-acts/1
    utterances:
      - {setting: courier, label: farewell, text: "Thanks, bye."}

ASR output of rendered utterances (`data/asr_augmented/*.jsonl`) holds one JSON record
per line with `text`, `label`, `setting` and the `source_text` it was rendered from.

Call-outcome files (`data/outcomes/*.yaml`) list whole calls:

    schema: qa-pipeline.outcomes/1
    calls:
      - setting: florist
        outcome: order_placed
        turns: ["A: Petal and Stem, how can I help?", "C: I'd like to order roses.", ...]
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from qa_pipeline.errors import ConfigError

DIALOGUE_ACT_SCHEMA = "qa-pipeline.dialogue-acts/1"
OUTCOME_SCHEMA = "qa-pipeline.outcomes/1"

# The shipped models by name (`models/<name>.joblib`) and the data schema each was trained on.
DIALOGUE_ACT_MODEL = "dialogue_acts"
OUTCOME_MODEL = "call_outcome"
MODEL_DATA_SCHEMAS = {DIALOGUE_ACT_MODEL: DIALOGUE_ACT_SCHEMA, OUTCOME_MODEL: OUTCOME_SCHEMA}

DIALOGUE_ACTS = (
    "greeting_offer", "discovery_question", "name_request", "contact_request",
    "price_statement", "self_introduction", "closing_check", "farewell",
    "backchannel", "hold_request", "other",
)
# How an utterance with several acts is labelled: the first act of this order it contains.
ACT_PRIORITY = (
    "self_introduction", "price_statement", "name_request", "contact_request",
    "discovery_question", "hold_request", "farewell", "closing_check", "greeting_offer",
    "backchannel", "other",
)
OUTCOMES = (
    "appointment_booked", "order_placed", "callback_agreed",
    "information_only", "customer_declined", "unresolved",
)
# A turn of an outcome call starts with who speaks: "A:" agent, "C:" customer.
TURN_PREFIXES = ("A:", "C:")


@dataclass(frozen=True)
class Example:
    """One labelled training text; `group` keeps near-paraphrases on one side of a split."""

    text: str
    label: str
    setting: str
    source: str  # "written" or "asr"
    group: str


def load_dialogue_acts(directory: str | Path, asr_directory: str | Path | None = None) -> tuple[Example, ...]:
    """Every hand-written dialogue-act example under `directory`, plus ASR output if given.

    Exact repeats (case and end punctuation aside) are kept once, so a stock phrase
    written for several settings cannot sit on both sides of a held-out split.
    """
    examples = [e for path in _files(directory, "*.yaml") for e in _read_act_file(path)]
    if asr_directory is not None and Path(asr_directory).is_dir():
        written = {normalise(e.text) for e in examples}
        for path in sorted(Path(asr_directory).glob("*.jsonl")):
            # Renderings of a sentence since removed from the written data go with it.
            examples += [e for e, source in _read_jsonl(path) if normalise(source) in written]
    return _unique(examples)


def load_outcomes(directory: str | Path) -> tuple[Example, ...]:
    """Every hand-written call of `data/outcomes/*.yaml`, one example per call."""
    return tuple(e for path in _files(directory, "*.yaml") for e in _read_outcome_file(path))


def data_hash(examples: tuple[Example, ...]) -> str:
    """A sha256 over the examples' text, label and setting, independent of file layout."""
    digest = hashlib.sha256()
    for e in sorted(examples, key=lambda e: (e.label, e.setting, e.source, e.text)):
        digest.update(f"{e.label}\t{e.setting}\t{e.source}\t{e.text}\n".encode())
    return digest.hexdigest()


def normalise(text: str) -> str:
    """Lower case, letters, digits and single spaces only: how repeats are recognised."""
    kept = "".join(c if c.isalnum() or c == "'" else " " for c in text.lower())
    return " ".join(kept.split())


def _files(directory: str | Path, pattern: str) -> list[Path]:
    directory = Path(directory)
    if not directory.is_dir():
        raise ConfigError(f"{directory}: training data folder not found")
    files = sorted(directory.glob(pattern))
    if not files:
        raise ConfigError(f"{directory}: no {pattern} training files")
    return files


def _load_yaml(path: Path, schema: str) -> dict:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read training data ({exc})") from exc
    if not isinstance(data, dict) or data.get("schema") != schema:
        raise ConfigError(f"{path}: expected a mapping with schema: {schema}")
    return data


def _read_act_file(path: Path) -> list[Example]:
    data = _load_yaml(path, DIALOGUE_ACT_SCHEMA)
    if "acts" in data:
        setting = str(data.get("setting") or "")
        rows = [(setting, label, text) for label, texts in (data["acts"] or {}).items() for text in texts or ()]
    else:
        rows = [(r.get("setting", ""), r.get("label"), r.get("text")) for r in data.get("utterances") or ()]
    return [_example(path, setting, label, text, DIALOGUE_ACTS, "written") for setting, label, text in rows]


def _read_jsonl(path: Path) -> list[tuple[Example, str]]:
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{number}: not a JSON record ({exc})") from exc
        if not str(row.get("text") or "").strip():
            continue  # the recogniser heard nothing: nothing to learn from
        example = _example(path, row.get("setting", ""), row.get("label"), row.get("text"), DIALOGUE_ACTS, "asr")
        examples.append((example, str(row.get("source_text", ""))))
    return examples


def _read_outcome_file(path: Path) -> list[Example]:
    data = _load_yaml(path, OUTCOME_SCHEMA)
    examples = []
    for index, call in enumerate(data.get("calls") or (), 1):
        turns = call.get("turns") or ()
        bad = [t for t in turns if not str(t).startswith(TURN_PREFIXES)]
        if not turns or bad:
            raise ConfigError(f"{path}: call {index} needs turns starting with 'A:' or 'C:'")
        text = "\n".join(str(t) for t in turns)
        examples.append(_example(path, call.get("setting", ""), call.get("outcome"), text, OUTCOMES, "written"))
    return examples


def _example(path: Path, setting, label, text, labels: tuple[str, ...], source: str) -> Example:
    if label not in labels:
        raise ConfigError(f"{path}: unknown label {label!r}; expected one of {', '.join(labels)}")
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"{path}: an example labelled {label!r} has no text")
    setting = str(setting or "unspecified")
    # Settings are written independently, so holding out whole settings keeps the
    # held-out score honest about phrasing the model has not seen.
    return Example(text.strip(), label, setting, source, group=setting)


def _unique(examples: list[Example]) -> tuple[Example, ...]:
    seen: set[str] = set()
    kept = []
    for e in examples:
        key = normalise(e.text)
        if key not in seen:
            seen.add(key)
            kept.append(e)
    return tuple(kept)


def comparable_units(text: str, min_words: int = 4) -> set[str]:
    """The normalised whole `text`, plus each of its sentences of at least `min_words` words.

    Short stock sentences ("Goodbye.", "Thanks.") inside longer turns are everyday
    formulas, not copied material, so only whole texts are compared when short.
    """
    import re

    parts = (normalise(p) for p in re.split(r"(?<=[.?!])\s+|\n", text))
    return {normalise(text)} | {p for p in parts if len(p.split()) >= min_words} - {""}


def near_duplicates(texts: list[str], reference: list[str], min_ratio: float = 0.9) -> list[tuple[str, str]]:
    """Pairs (text, reference unit) where `text` repeats or nearly repeats part of `reference`.

    Units are compared after `normalise`; "nearly" means a difflib similarity ratio of at
    least `min_ratio` between units of four or more words, which catches a changed word.
    """
    from difflib import SequenceMatcher

    known = {u for r in reference for u in comparable_units(r)}
    long_known = [k for k in known if len(k.split()) >= 4]
    found = []
    for text in texts:
        for unit in comparable_units(text):
            match = unit if unit in known else None
            if match is None and len(unit.split()) >= 4:
                matcher = SequenceMatcher(None, "", unit)  # b is the side difflib indexes once
                match = next((k for k in long_known if _similar(matcher, k, min_ratio)), None)
            if match is not None:
                found.append((text, match))
                break
    return found


def _similar(matcher, other: str, min_ratio: float) -> bool:
    matcher.set_seq1(other)
    # The cheap upper bounds rule out almost every pair before the exact ratio.
    return (matcher.real_quick_ratio() >= min_ratio and matcher.quick_ratio() >= min_ratio
            and matcher.ratio() >= min_ratio)
