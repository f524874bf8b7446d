"""Rubric criteria: a registry of versioned implementations, and the built-in ones.

Importing this package registers the built-ins (``self_introduction.v1`` ...). A
custom criterion registers itself the same way; see `registry`.
"""

# Imported for their registrations.
from qa_pipeline.criteria import (  # noqa: E402,F401
    handling,  # noqa: E402,F401
    interrupting,
    introduction,
    names,
    phrases,
    questions,
)
from qa_pipeline.criteria.context import RULE_CONFIDENCE, CallContext, Decision, combine
from qa_pipeline.criteria.registry import (
    CriterionSpec,
    Outcome,
    available_criteria,
    get_criterion,
    register_criterion,
)

__all__ = [
    "RULE_CONFIDENCE",
    "CallContext",
    "CriterionSpec",
    "Decision",
    "Outcome",
    "available_criteria",
    "combine",
    "get_criterion",
    "register_criterion",
]
