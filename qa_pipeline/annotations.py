"""A call's text annotations, computed once and shared by the stages that read the same utterances.

The roles stage (inside speech) and the criteria both parse the utterance texts with spaCy
and run the dialogue-act classifier over them. The pipeline opens `call_annotations`
around each call, and `nlp.parse` and `classifiers.predict.classify_texts` go through
`memoized`, so each distinct text is parsed and classified once per call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

# The text annotations of the call being scored on this thread (`call_annotations`):
# per kind ("doc", or a classifier's name), each distinct utterance text's result.
_CALL_MEMO: ContextVar[dict[str, dict[str, Any]] | None] = ContextVar("qa_call_annotations", default=None)


@contextmanager
def call_annotations() -> Iterator[None]:
    """Within the block, each distinct text is parsed by spaCy (and classified) once.

    The roles stage and the criteria read the same utterances; the pipeline opens this
    around a call, so they share one parse and one dialogue-act pass. The memo belongs to
    the calling thread's context only (a new thread starts without it).
    """
    token = _CALL_MEMO.set({})
    try:
        yield
    finally:
        _CALL_MEMO.reset(token)


def memoized(kind: str, texts: Sequence[str], compute: Callable[[list[str]], Iterable[Any]]) -> list[Any]:
    """`compute(texts)`, reusing the results this call already has for `kind` (see `call_annotations`)."""
    memo = _CALL_MEMO.get()
    if memo is None:
        return list(compute(list(texts)))
    table = memo.setdefault(kind, {})
    missing = [t for t in dict.fromkeys(texts) if t not in table]
    if missing:
        table.update(zip(missing, compute(missing)))
    return [table[t] for t in texts]
