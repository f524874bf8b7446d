"""The criterion registry: rubric files pick criteria by versioned name.

Built-in criteria register themselves with the same decorator a user's custom
criterion uses, in the style of spaCy's registries::

    from dataclasses import dataclass
    from qa_pipeline.criteria import Outcome, register_criterion

    @dataclass(frozen=True)
    class Params:
        max_wpm: float = 170.0

    @register_criterion("speaking_pace.v1", params=Params, needs_roles=True)
    def speaking_pace(ctx, params: Params) -> Outcome:
        ...

A rubric entry then says ``impl: speaking_pace.v1``. Parameters given in the rubric
are checked against the fields of the params dataclass when the rubric loads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from qa_pipeline.records import AGENT, Evidence

if TYPE_CHECKING:
    from qa_pipeline.criteria.context import CallContext


@dataclass(frozen=True)
class Outcome:
    """What a criterion function decides; scoring adds the criterion id and weight."""

    verdict: str
    confidence: float
    evidence: tuple[Evidence, ...] = ()
    detail: str = ""


CriterionFunc = Callable[["CallContext", object], Outcome]


@dataclass(frozen=True)
class CriterionSpec:
    """A registered criterion implementation.

    `params` is a frozen dataclass type whose fields are the rubric parameters;
    `needs_roles` says whether the criterion must know who is the agent (mono
    recordings get `not_applicable` for those). `needs` names what the recording must
    hold for a verdict: a speaker's words (``"agent"``, ``"customer"``) or the end of
    the call (``"call_end"``); when the transcript lists one as missing (an empty
    channel, a truncated file), the criterion is `not_applicable` with that reason.
    """

    name: str
    func: CriterionFunc
    params: type
    needs_roles: bool = True
    doc: str = field(default="", compare=False)
    needs: tuple[str, ...] = (AGENT,)


_REGISTRY: dict[str, CriterionSpec] = {}


def register_criterion(name: str, *, params: type, needs_roles: bool = True, needs: tuple[str, ...] = (AGENT,)):
    """Register a criterion function under a versioned name like ``"my_check.v1"``.

    `needs` is what the recording must hold for a verdict (see `CriterionSpec`).
    """

    def decorate(func: CriterionFunc) -> CriterionFunc:
        _REGISTRY[name] = CriterionSpec(name, func, params, needs_roles, (func.__doc__ or "").strip(), tuple(needs))
        return func

    return decorate


def get_criterion(name: str) -> CriterionSpec | None:
    """The registered implementation called `name`, or None."""
    return _REGISTRY.get(name)


def available_criteria() -> tuple[str, ...]:
    """Registered implementation names, sorted."""
    return tuple(sorted(_REGISTRY))
