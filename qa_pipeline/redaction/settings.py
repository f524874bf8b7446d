"""What to redact and how: the bundled lexicon, a site settings file, a per-run override.

The bundled `lexicon.yaml` holds the defaults (types, audio margin, context words). A site
settings file (YAML, same keys; `$QA_PIPELINE_REDACTION` or `--redaction-settings`) replaces
any of them; `--redact TYPES` replaces the types for one run.
"""

from __future__ import annotations

import copy
import functools
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from qa_pipeline.errors import ConfigError

ENV_VAR = "QA_PIPELINE_REDACTION"
# Settings type name -> Presidio entity (the placeholder is the entity in brackets).
ENTITIES = {
    "card": "CARD_NUMBER",
    "phone": "PHONE_NUMBER",
    "email": "EMAIL",
    "account": "ACCOUNT_NUMBER",
    "date_of_birth": "DATE_OF_BIRTH",
    "address": "ADDRESS",
    "customer_name": "CUSTOMER_NAME",
}
ALIASES = {"dob": "date_of_birth", "reference": "account", "policy": "account", "name": "customer_name",
           "postal_address": "address", "card_number": "card", "phone_number": "phone"}


@dataclass(frozen=True)
class RedactionSettings:
    """Settings of one run. `types` empty means redaction is off."""

    types: frozenset[str]
    margin_s: float = 0.15
    fade_s: float = 0.01
    join_gap_s: float = 8.0
    join_max_words: int = 4
    context_words: int = 14
    lexicon: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def enabled(self) -> bool:
        return bool(self.types)

    @property
    def entities(self) -> list[str]:
        return sorted(ENTITIES[t] for t in self.types)

    @property
    def label(self) -> str:
        """What a scorecard's `versions.redaction` records, e.g. 'account,card,email'."""
        return ",".join(sorted(self.types)) if self.types else "off"

    def with_types(self, spec: str | Iterable[str] | None) -> RedactionSettings:
        return self if spec is None else replace(self, types=parse_types(spec, self.types))


def parse_types(spec: str | Iterable[str], default: Iterable[str] = ()) -> frozenset[str]:
    """'card,phone' / 'none' / 'all' / 'default' / 'default,customer_name' as a set of type names."""
    items = [s.strip().lower() for s in (spec.split(",") if isinstance(spec, str) else spec) if s.strip()]
    out: set[str] = set()
    for item in items:
        if item in ("none", "off"):
            continue
        if item == "all":
            out |= set(ENTITIES)
        elif item == "default":
            out |= set(default)
        else:
            name = ALIASES.get(item, item)
            if name not in ENTITIES:
                raise ConfigError(f"unknown redaction type {item!r}; expected some of: {', '.join(ENTITIES)}, "
                                  "or all, default, none")
            out.add(name)
    return frozenset(out)


def _bundled() -> dict[str, Any]:
    return copy.deepcopy(_bundled_lexicon())


@functools.lru_cache(maxsize=1)
def _bundled_lexicon() -> dict[str, Any]:
    text = resources.files("qa_pipeline.redaction").joinpath("lexicon.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def load_settings(path: str | Path | None = None, types: str | Iterable[str] | None = None) -> RedactionSettings:
    """The bundled defaults, then the site file (`path`, else `$QA_PIPELINE_REDACTION`), then `types`."""
    data = _bundled()
    site = path or os.environ.get(ENV_VAR)
    if site:
        try:
            loaded = yaml.safe_load(Path(site).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"redaction settings {site}: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ConfigError(f"redaction settings {site}: expected a mapping of settings")
        data = _merge(data, loaded)
    audio = data.get("audio", {})
    settings = RedactionSettings(
        types=parse_types(data.get("types") or ["none"]),
        margin_s=float(audio.get("margin_s", 0.15)),
        fade_s=float(audio.get("fade_s", 0.01)),
        join_gap_s=float(data.get("join_gap_s", 8.0)),
        join_max_words=int(data.get("join_max_words", 4)),
        context_words=int(data.get("context_words", 14)),
        lexicon=data,
    )
    return settings.with_types(types)


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return out
