"""Wall time per pipeline stage, recorded only when someone asks (the benchmark does).

Stages mark themselves with ``with stage("asr"):``. Outside `recording_stages` that is a
no-op costing one attribute lookup. Inside, each stage's own time is summed per name; a
stage nested in another is subtracted from the outer one, so the times add up to the wall
time of the work they cover. Records are per thread: a call scored on one thread is
measured on that thread (work it hands to other threads counts as the time it waits).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from time import perf_counter

_local = threading.local()


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Count the block's wall time (less nested stages) towards `name`, when recording."""
    record = getattr(_local, "record", None)
    if record is None:
        yield
        return
    stack: list[list[float]] = _local.stack
    stack.append([perf_counter(), 0.0])
    try:
        yield
    finally:
        started, nested = stack.pop()
        elapsed = perf_counter() - started
        record[name] = record.get(name, 0.0) + elapsed - nested
        if stack:
            stack[-1][1] += elapsed


@contextmanager
def recording_stages() -> Iterator[dict[str, float]]:
    """Record stage times on this thread into the yielded dict (seconds per stage name)."""
    saved = getattr(_local, "record", None), getattr(_local, "stack", None)
    _local.record, _local.stack = {}, []
    try:
        yield _local.record
    finally:
        _local.record, _local.stack = saved
