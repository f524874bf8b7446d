"""Call-handling criteria beyond the seven etiquette ones (rubric ``call_handling``).

They follow the call-handling guides behind the product (see docs/rubrics.md): pace,
wrong phrasings, holds, the next step, contact details, the closing courtesies and
feedback while the caller explains. Importing this package registers them.
"""

from qa_pipeline.criteria.handling import closing, details, feedback, holds, pace, wording  # noqa: F401
