"""The sales section of a rubric, read and checked: call statuses, their groups and cue
phrases, the next-contact and next-action phrases, and how rules and the model combine.

The section (``sales:`` in rubrics/sales.yaml) is data, like the criteria's phrase lists;
every defect is a `ConfigError` naming the rubric file and the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from qa_pipeline.errors import ConfigError

# The status groups and what each means for calling again (None: not decided on this call).
GROUPS: Mapping[str, bool | None] = {"do_not_call": False, "not_decided": None, "call_again": True}
UNKNOWN = "unknown"
WHO = ("agent", "customer")


@dataclass(frozen=True)
class StatusRule:
    """One call status: its group, and the phrases that show it, said by the customer (or
    anyone but the agent) and by the agent. `weight` scales a hit against other statuses' hits."""

    id: str
    group: str
    customer: tuple[str, ...] = ()
    agent: tuple[str, ...] = ()
    weight: float = 1.0


@dataclass(frozen=True)
class ActionRule:
    """A next action: `what` in words, `who` does it, and the phrases that say it."""

    what: str
    who: str
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class SalesConfig:
    """What `qa_pipeline.sales.sales_outcome` needs from the rubric.

    `rule_weight` is the share of the rules in the combined status probability (the model
    has the rest; the rules alone when no model is built); below `min_confidence` the status
    is "unknown". `follow_up_window_s` is how far into the agent's speech a follow-up
    phrase marks the call as a follow-up.
    """

    statuses: tuple[StatusRule, ...]
    min_confidence: float
    rule_weight: float
    model: str
    follow_up_phrases: tuple[str, ...]
    follow_up_window_s: float
    contact_phrases: tuple[str, ...]
    date_prefixes: tuple[str, ...]
    after_prefixes: tuple[str, ...]
    duration_units: tuple[str, ...]
    actions: tuple[ActionRule, ...]
    source: str = ""

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.statuses)

    def group_of(self, status: str) -> str:
        return next((s.group for s in self.statuses if s.id == status), UNKNOWN)


def sales_config(rubric: Any) -> SalesConfig | None:
    """The checked sales section of a loaded rubric, or None when it has none (parsing is cheap:
    a few lists, read again per call rather than cached across threads)."""
    if getattr(rubric, "sales", None) is None:
        return None
    return parse_sales(rubric.sales, rubric.source)


def parse_sales(data: Any, source: str = "<rubric>") -> SalesConfig:
    """A `SalesConfig` from the rubric's ``sales`` mapping; `ConfigError` on any defect."""
    where = f"{source}: sales"
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(data).__name__}")
    statuses = data.get("statuses")
    if not isinstance(statuses, dict) or not statuses:
        raise ConfigError(f"{where}.statuses: expected a mapping of status id to its group and phrases")
    rules = tuple(_status(sid, entry, f"{where}.statuses.{sid}") for sid, entry in statuses.items())
    contact = _mapping(data, "next_contact", where)
    actions = data.get("next_actions", [])
    if not isinstance(actions, list):
        raise ConfigError(f"{where}.next_actions: expected a list of {{what, who, phrases}}")
    follow = _mapping(data, "follow_up", where)
    return SalesConfig(
        statuses=rules,
        min_confidence=_number(data, "min_status_confidence", where, 0.5),
        rule_weight=_number(data, "rule_weight", where, 0.6),
        model=str(data.get("model", "sales_status")),
        follow_up_phrases=_phrases(follow, "phrases", f"{where}.follow_up"),
        follow_up_window_s=_number(follow, "window_s", f"{where}.follow_up", 30.0),
        contact_phrases=_phrases(contact, "contact_phrases", f"{where}.next_contact"),
        date_prefixes=_phrases(contact, "date_prefixes", f"{where}.next_contact"),
        after_prefixes=_phrases(contact, "after_prefixes", f"{where}.next_contact"),
        duration_units=_phrases(contact, "duration_units", f"{where}.next_contact"),
        actions=tuple(_action(a, f"{where}.next_actions[{i}]") for i, a in enumerate(actions)),
        source=source,
    )


def _status(sid: str, entry: Any, where: str) -> StatusRule:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a mapping with group and phrases")
    group = entry.get("group")
    if group not in GROUPS:
        raise ConfigError(f"{where}.group: expected one of {', '.join(GROUPS)}, got {group!r}")
    unknown = set(entry) - {"group", "customer", "agent", "weight", "description"}
    if unknown:
        raise ConfigError(f"{where}.{sorted(unknown)[0]}: unknown key; expected group, customer, agent, weight")
    rule = StatusRule(str(sid), str(group), _phrases(entry, "customer", where), _phrases(entry, "agent", where),
                      _number(entry, "weight", where, 1.0))
    if not rule.customer and not rule.agent:
        raise ConfigError(f"{where}: needs customer or agent phrases")
    return rule


def _action(entry: Any, where: str) -> ActionRule:
    if not isinstance(entry, dict) or not isinstance(entry.get("what"), str) or entry.get("who") not in WHO:
        raise ConfigError(f"{where}: expected {{what: words, who: agent|customer, phrases: [...]}}")
    return ActionRule(entry["what"], entry["who"], _phrases(entry, "phrases", where))


def _mapping(data: dict, key: str, where: str) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}.{key}: expected a mapping")
    return value


def _phrases(data: dict, key: str, where: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where}.{key}: expected a list of phrases")
    return tuple(value)


def _number(data: dict, key: str, where: str, default: float) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value:
        raise ConfigError(f"{where}.{key}: expected a number >= 0, got {value!r}")
    return float(value)
