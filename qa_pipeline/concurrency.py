"""How many calls run at once, and how the cores are shared between them.

One process loads one Whisper model. `workers` is both the number of calls in flight and
the number of transcriptions the model serves at once (faster-whisper `num_workers`);
each gets ``cores // workers`` CTranslate2 threads (at least one). Within a call the two
channels of a stereo recording are transcribed at the same time. On a 2-core machine,
two concurrent transcriptions of one thread each run about 2.6 times as fast as one
transcription at a time (issue 11's table: 31-36 against 12.1 call-seconds per wall-second).

`ordered_map` runs a function over items on a thread pool and yields results in input
order, so progress lines, outputs and error handling read the same as a serial loop.
"""

from __future__ import annotations

import ctypes
import functools
import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Callable, Iterable, Iterator, TypeVar

from qa_pipeline.errors import ConfigError

WORKERS_ENV = "QA_PIPELINE_ASR_WORKERS"

T = TypeVar("T")
R = TypeVar("R")


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def default_workers() -> int:
    """``$QA_PIPELINE_ASR_WORKERS`` when set, else one worker per available core."""
    value = os.environ.get(WORKERS_ENV, "").strip()
    if not value:
        return available_cores()
    try:
        workers = int(value)
    except ValueError:
        raise ConfigError(f"{WORKERS_ENV}={value!r}: expected a whole number of workers") from None
    return check_workers(workers)


def check_workers(workers: int) -> int:
    if workers < 1:
        raise ConfigError(f"workers must be at least 1, got {workers}")
    return workers


# mallopt(3): the most malloc arenas glibc creates (default 8 per core).
_M_ARENA_MAX = -8


@functools.lru_cache(maxsize=1)
def limit_malloc_arenas() -> bool:
    """Cap glibc's malloc arenas at one per core (at least 2), unless `$MALLOC_ARENA_MAX` is set.

    Every thread that transcribes gets an arena of its own by default, and each keeps the
    memory freed into it: on a 30-minute stereo call with two workers that is 100-200 MB
    more peak memory (bench/pipeline.py). Call before the worker threads start; returns
    whether the cap was set (glibc only; elsewhere nothing changes).
    """
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(_M_ARENA_MAX, max(2, available_cores())))
    except (OSError, AttributeError):
        return False


def with_workers(options, workers: int, cores: int | None = None):
    """`options` (an `AsrOptions`) sized so `workers` transcriptions share the cores."""
    check_workers(workers)
    threads = max(1, (cores or available_cores()) // workers)
    return replace(options, num_workers=workers, cpu_threads=threads)


def ordered_map(function: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """`map(function, items)` with up to `workers` calls at once, results in input order.

    An exception from `function` is raised when its result's turn comes; the items not
    yet started are then cancelled. With one worker it is a plain loop (no threads).
    """
    if workers <= 1:
        yield from map(function, items)
        return
    pending: deque[Future] = deque()
    # Twice the workers are queued so a slow call at the head does not idle the others;
    # a queued call holds only its path until it starts.
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="qa-call") as pool:
        try:
            for item in items:
                pending.append(pool.submit(function, item))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
