"""Rubrics as data: load a YAML rubric, check it against the criterion registry.

A rubric file looks like::

    id: etiquette
    version: "1"
    plugins: [my_company.criteria]      # optional: modules that register criteria
    _shared: &kinds {...}               # keys starting with "_" only hold YAML anchors
    criteria:
      self_introduction:
        impl: self_introduction.v1
        weight: 1.0
        use_classifier: false           # optional, default false
        needs_call_end: false           # optional: not_applicable when the recording is cut off
        params: {window_s: 30}          # optional; unset params keep their defaults

A rubric may extend another (``extends: etiquette``, a bundled id or a YAML path
relative to the file): it takes the base's criteria unchanged, in the base's order, then
adds its own (an entry with a base criterion's id replaces it). ``serious_errors`` maps
criterion ids to the error a fail means ("not introducing oneself"); scorecards list the
serious errors committed.

Every problem is reported at load time as a `ConfigError` naming the file, the key
and what is wrong.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import functools
import importlib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa_pipeline.errors import ConfigError
from qa_pipeline.files import bundled_dir
from qa_pipeline.languages import ENGLISH, checked_language

BUNDLED_DIR = bundled_dir("rubrics")
DEFAULT_RUBRIC = "etiquette"

_TOP_KEYS = {"id", "version", "title", "description", "plugins", "criteria", "extends", "serious_errors",
             "vocabulary", "sales", "language"}
_ENTRY_KEYS = {"impl", "weight", "use_classifier", "needs_call_end", "params", "title", "failed_title", "description"}


@dataclass(frozen=True)
class CriterionConfig:
    """One rubric entry: which implementation, its weight and its checked parameters.

    `needs_call_end` marks a criterion that judges the end of the call (the closing): it is
    `not_applicable` when the recording lacks the end (truncated, or cut off mid-conversation).
    """

    id: str
    impl: str
    weight: float
    params: Any
    use_classifier: bool = False
    title: str = ""
    serious_error: str = ""
    failed_title: str = ""  # what a fail means, in words ("Agent interrupted the caller")
    needs_call_end: bool = False


@dataclass(frozen=True)
class Rubric:
    """A loaded, validated rubric."""

    id: str
    version: str
    criteria: tuple[CriterionConfig, ...]
    title: str = ""
    source: str = ""
    # Names and terms of the site (company, products) given to Whisper as hotwords on the
    # agent's channel when asked for (see qa_pipeline.vocabulary).
    vocabulary: tuple[str, ...] = ()
    # With id and version, what identifies the rubric: see `content_sha256`.
    sha256: str = ""
    # The rubric's `sales` section as written (call statuses, phrases, windows), read by
    # `qa_pipeline.sales`; None for a rubric without one (no sales block on its cards).
    sales: Any = None
    # The language its phrase lists and wording are in ("en" for a base rubric); see `load_rubric`.
    language: str = ENGLISH

    @property
    def label(self) -> str:
        """``id/version``, as scorecards record it."""
        return f"{self.id}/{self.version}"

    def criterion(self, criterion_id: str) -> CriterionConfig | None:
        return next((c for c in self.criteria if c.id == criterion_id), None)

    def titles(self) -> dict[str, str]:
        """Criterion id -> title as the rubric words it (the id where it gives none)."""
        return {c.id: c.title or c.id for c in self.criteria}

    def without_classifiers(self) -> Rubric:
        """A copy with every criterion on pure rules (to compare against classifiers)."""
        rules_only = tuple(dataclasses.replace(c, use_classifier=False) for c in self.criteria)
        return dataclasses.replace(self, criteria=rules_only)


def load_rubric(path_or_id: str | Path = DEFAULT_RUBRIC, language: str | None = None) -> Rubric:
    """Load a rubric from a YAML path, or by the id of a rubric bundled in ``rubrics/``.

    With `language` other than English, the rubric's variant in that language is loaded:
    ``rubrics/<id>.<language>.yaml`` (beside the file for a path), which ``extends`` the base
    and overrides titles, explanations and phrase lists (see `variant_path`). A language
    with no variant file is a `ConfigError` naming the languages that have one.
    """
    path = _resolve(path_or_id)
    if language is not None and checked_language(language) != ENGLISH:
        path = variant_path(path, language)
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read rubric ({exc})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({_one_line(exc)})") from None
    return parse_rubric(_with_base(data, path, (path.resolve(),)), source=str(path))


def _with_base(data: Any, path: Path, seen: tuple[Path, ...], language: str | None = None) -> Any:
    """`data` with the criteria, serious errors and plugins of the rubric it extends merged in.

    Inside a language variant (`language`, or the file's own ``language:``), a base that
    extends another rubric takes that rubric's variant in the same language where one
    exists: ``call_handling.ja.yaml`` extends ``call_handling``, whose seven etiquette
    criteria then come from ``etiquette.ja.yaml``.
    """
    if not isinstance(data, dict) or "extends" not in data:
        return data
    language = data.get("language") or language
    base_ref = data["extends"]
    if not isinstance(base_ref, str) or not base_ref:
        raise ConfigError(f"{path}: extends: expected a rubric id or YAML path, got {base_ref!r}")
    local = path.parent / base_ref
    base_path = _resolve(local if base_ref.endswith((".yaml", ".yml")) and local.is_file() else base_ref)
    own_variant = base_path.with_name(f"{base_path.stem}.{language}{base_path.suffix}") if language else None
    if own_variant is not None and "language" not in data and own_variant.is_file():
        base_path = own_variant
    if base_path.resolve() in seen:
        raise ConfigError(f"{path}: extends: {base_ref!r} extends itself in a cycle")
    import yaml

    try:
        base = _with_base(yaml.safe_load(base_path.read_text(encoding="utf-8")), base_path, (*seen, base_path.resolve()),
                          language)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: extends: cannot read {base_path} ({_one_line(exc)})") from None
    if not isinstance(base, dict) or not isinstance(base.get("criteria"), dict):
        raise ConfigError(f"{path}: extends: {base_path} is not a rubric with criteria")
    # A language variant keeps the base's id, version, title and vocabulary unless it says otherwise.
    inherited = ({k: v for k, v in base.items() if k not in ("criteria", "serious_errors", "plugins")}
                 if data.get("language") else {})
    merged = {**inherited, **{k: v for k, v in data.items() if k != "extends"}}
    merged["criteria"] = {cid: _override(base["criteria"].get(cid), entry, data.get("language"))
                          for cid, entry in {**base["criteria"], **(data.get("criteria") or {})}.items()}
    merged["serious_errors"] = {**(base.get("serious_errors") or {}), **(data.get("serious_errors") or {})}
    merged["plugins"] = [*dict.fromkeys([*base.get("plugins", []), *data.get("plugins", [])])]
    if "sales" in base and "sales" not in data:  # a rubric extending a sales rubric keeps its sales section
        merged["sales"] = base["sales"]
    return merged


def _override(base: Any, entry: Any, language: Any) -> Any:
    """A criterion entry of a rubric that extends another. A language variant (one with
    ``language:``) changes wording and parameters of the base's criteria: its entry is merged
    into the base's, params key by key; otherwise an entry replaces the base's whole."""
    if not language or not isinstance(base, dict) or not isinstance(entry, dict) or entry is base:
        return entry
    params = {**(base.get("params") or {}), **(entry.get("params") or {})}
    return {**base, **entry, **({"params": params} if params else {})}


def variant_path(base: Path, language: str) -> Path:
    """``<stem>.<language>.yaml`` beside the base rubric file; `ConfigError` when there is none."""
    code = checked_language(language) or ENGLISH
    path = base.with_name(f"{base.stem}.{code}{base.suffix}")
    if not path.is_file():
        have = sorted(p.name.split(".")[-2] for p in base.parent.glob(f"{base.stem}.*{base.suffix}"))
        raise ConfigError(f"{base}: no rubric in language {code!r} (looked for {path.name}); "
                          f"languages with one: {', '.join(['en', *have])}")
    return path


def rubric_languages(path_or_id: str | Path = DEFAULT_RUBRIC) -> tuple[str, ...]:
    """The languages a rubric has: English (the base file) and each ``<stem>.<code>.yaml`` beside it."""
    base = _resolve(path_or_id)
    return (ENGLISH, *sorted(p.name.split(".")[-2] for p in base.parent.glob(f"{base.stem}.*{base.suffix}")))


def in_language(rubric: Rubric, code: str | None) -> Rubric:
    """`rubric` in the language `code` (its ``<stem>.<code>.yaml`` variant, or its English base);
    `rubric` itself when `code` is empty or its own language.

    The dialogue-act classifiers are trained on English calls: a rubric in another language
    scores on its rules only. `ConfigError` when the rubric has no file in that language.
    """
    if not code or code == rubric.language:
        return rubric
    if not rubric.source or rubric.source.startswith("<"):
        raise ConfigError(f"rubric {rubric.label} was not loaded from a file: no variant in language {code!r}")
    return _variant(rubric.source, rubric.language, code)


@functools.lru_cache(maxsize=32)
def _variant(source: str, own: str, code: str) -> Rubric:
    path = Path(source)
    if own != ENGLISH:  # etiquette.ja.yaml -> etiquette.yaml
        path = path.with_name(path.name.replace(f".{own}{path.suffix}", path.suffix))
    loaded = load_rubric(path, language=code)
    return loaded if code == ENGLISH else loaded.without_classifiers()


def parse_rubric(data: Any, source: str = "<rubric>") -> Rubric:
    """Build a `Rubric` from already-parsed YAML data; `source` names it in errors."""
    from qa_pipeline import criteria  # noqa: F401  (registers the built-in criteria)

    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping at the top level, got {_kind(data)}")
    # Top-level keys starting with "_" hold YAML anchors that entries share.
    _no_unknown_keys({k: v for k, v in data.items() if not str(k).startswith("_")}, _TOP_KEYS, source, "")
    for key in ("id", "version", "criteria"):
        if key not in data:
            raise ConfigError(f"{source}: {key}: missing (a rubric needs id, version and criteria)")
    for key in ("id", "version"):
        if not isinstance(data[key], str) or not data[key]:
            raise ConfigError(f"{source}: {key}: expected a non-empty string, got {data[key]!r}")
    _import_plugins(data.get("plugins", []), source)
    entries = data["criteria"]
    if not isinstance(entries, dict) or not entries:
        raise ConfigError(f"{source}: criteria: expected a non-empty mapping of criterion id to entry")
    if "extends" in data:
        raise ConfigError(f"{source}: extends: only a rubric loaded from a file can extend another (use load_rubric)")
    configs = _mark_serious(tuple(_criterion(cid, entry, source) for cid, entry in entries.items()),
                            data.get("serious_errors") or {}, source)
    vocabulary = data.get("vocabulary", [])
    if not isinstance(vocabulary, list) or not all(isinstance(v, str) for v in vocabulary):
        raise ConfigError(f"{source}: vocabulary: expected a list of words and names, got {vocabulary!r}")
    lang = data.get("language", ENGLISH)
    if not isinstance(lang, str):
        raise ConfigError(f"{source}: language: expected a language code such as ja, got {lang!r}")
    try:
        lang = checked_language(lang) or ENGLISH
    except ConfigError as exc:
        raise ConfigError(f"{source}: language: {exc}") from None
    return Rubric(data["id"], data["version"], configs, str(data.get("title", "")), source, tuple(vocabulary),
                  content_sha256(data), sales=data.get("sales"), language=lang)


def content_sha256(data: Any) -> str:
    """SHA-256 of a rubric's parsed content (base merged in) as canonical JSON: a changed phrase,
    threshold or weight changes it; comments, key order and YAML layout do not."""
    import hashlib
    import json

    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _mark_serious(configs: tuple[CriterionConfig, ...], serious: Any, source: str) -> tuple[CriterionConfig, ...]:
    if not isinstance(serious, dict):
        raise ConfigError(f"{source}: serious_errors: expected a mapping of criterion id to the error, got {_kind(serious)}")
    ids = [c.id for c in configs]
    for cid, error in serious.items():
        if cid not in ids:
            raise ConfigError(f"{source}: serious_errors.{cid}: not a criterion of this rubric; criteria: {', '.join(ids)}")
        if not isinstance(error, str) or not error.strip():
            raise ConfigError(f"{source}: serious_errors.{cid}: expected the error in words, got {error!r}")
    return tuple(dataclasses.replace(c, serious_error=serious.get(c.id, "").strip()) for c in configs)


def _resolve(path_or_id: str | Path) -> Path:
    path = Path(path_or_id)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise ConfigError(f"{path}: rubric file not found")
        return path
    bundled = BUNDLED_DIR / f"{path_or_id}.yaml"
    if bundled.is_file():
        return bundled
    known = sorted(p.stem for p in BUNDLED_DIR.glob("*.yaml") if "." not in p.stem)
    raise ConfigError(f"{path_or_id}: no rubric file or bundled rubric by that id (bundled: {', '.join(known)})")


def _import_plugins(plugins: Any, source: str) -> None:
    if not isinstance(plugins, list) or not all(isinstance(p, str) for p in plugins):
        raise ConfigError(f"{source}: plugins: expected a list of module names, got {plugins!r}")
    for module in plugins:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise ConfigError(f"{source}: plugins: cannot import {module!r} ({exc})") from None


def _criterion(cid: Any, entry: Any, source: str) -> CriterionConfig:
    from qa_pipeline.criteria import available_criteria, get_criterion

    where = f"criteria.{cid}"
    if not isinstance(entry, dict):
        raise ConfigError(f"{source}: {where}: expected a mapping with impl and weight, got {_kind(entry)}")
    _no_unknown_keys(entry, _ENTRY_KEYS, source, where + ".")
    if "impl" not in entry:
        raise ConfigError(f"{source}: {where}.impl: missing (name a registered criterion, e.g. {cid}.v1)")
    spec = get_criterion(entry["impl"])
    if spec is None:
        names = ", ".join(available_criteria())
        raise ConfigError(f"{source}: {where}.impl: unknown criterion {entry['impl']!r}; available: {names}")
    if "weight" not in entry:
        raise ConfigError(f"{source}: {where}.weight: missing (a number >= 0)")
    weight = entry["weight"]
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
        raise ConfigError(f"{source}: {where}.weight: expected a number >= 0, got {weight!r}")
    use_classifier, needs_call_end = (_flag(entry, key, source, where) for key in ("use_classifier", "needs_call_end"))
    params = _params(spec.params, entry.get("params") or {}, source, f"{where}.params")
    return CriterionConfig(str(cid), spec.name, float(weight), params, use_classifier, str(entry.get("title", "")),
                           failed_title=str(entry.get("failed_title", "")), needs_call_end=needs_call_end)


def _flag(entry: dict, key: str, source: str, where: str) -> bool:
    value = entry.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"{source}: {where}.{key}: expected true or false, got {value!r}")
    return value


def _params(params_type: type, given: Any, source: str, where: str) -> Any:
    if not isinstance(given, dict):
        raise ConfigError(f"{source}: {where}: expected a mapping, got {_kind(given)}")
    hints = typing.get_type_hints(params_type)
    fields = {f.name: f for f in dataclasses.fields(params_type)}
    unknown = sorted(set(given) - set(fields))
    if unknown:
        raise ConfigError(f"{source}: {where}.{unknown[0]}: unknown parameter; known: {', '.join(fields)}")
    values = {name: _coerce(value, hints[name], source, f"{where}.{name}") for name, value in given.items()}
    missing = [n for n, f in fields.items() if n not in values and _required(f)]
    if missing:
        raise ConfigError(f"{source}: {where}.{missing[0]}: missing required parameter")
    return params_type(**values)


def _required(f: dataclasses.Field) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def _coerce(value: Any, hint: Any, source: str, where: str) -> Any:
    """Check `value` against a params field type; lists become tuples (params are frozen)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if hint in (int, str, bool) and type(value) is hint:
        return value
    if origin is tuple and isinstance(value, list):
        return tuple(_coerce(v, args[0], source, f"{where}[{i}]") for i, v in enumerate(value))
    if origin in (dict, collections.abc.Mapping) and isinstance(value, dict):
        return types.MappingProxyType({str(k): _coerce(v, args[1], source, f"{where}.{k}") for k, v in value.items()})
    raise ConfigError(f"{source}: {where}: expected {_type_name(hint)}, got {value!r}")


_SINGULAR = {float: "a number", int: "an integer", str: "a string", bool: "true or false"}
_PLURAL = {float: "numbers", int: "integers", str: "strings", bool: "true/false values"}


def _type_name(hint: Any) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is tuple:
        return f"a list of {_PLURAL.get(args[0], str(args[0]))}"
    if origin is not None:
        return f"a mapping of names to {_type_name(args[1]).removeprefix('a ')}"
    return _SINGULAR.get(hint, str(hint))


def _no_unknown_keys(data: dict, allowed: set[str], source: str, prefix: str) -> None:
    unknown = sorted(str(k) for k in set(data) - allowed)
    if unknown:
        raise ConfigError(f"{source}: {prefix}{unknown[0]}: unknown key; expected one of {', '.join(sorted(allowed))}")


def _kind(value: Any) -> str:
    return type(value).__name__ if value is not None else "nothing"


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())
