"""Which stage of a call holds the peak memory: RSS sampled every few ms, charged to the stage running.

Scores one recording in this process as `qa-pipeline score` does (etiquette rubric, redacted
audio written, no store), with every `profiling.stage` and pipeline step named while it runs,
and prints the largest RSS seen in each (the innermost stage running), with `ru_maxrss`,
which no sample can miss, for comparison:

    python bench/stage_memory.py LONG_CALL.flac [--workers 2] [--every 0.01]

A long call made of the sample calls: `bench/_common.make_long_call` (what `bench/pipeline.py
--memory-only` scores), e.g. `make_long_call(sorted(Path("sample_audio").glob("C*.flac")), 30, out)`.
Linux only (/proc/self/statm).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")
_running: dict[int, list[str]] = {}  # thread id -> stack of stage names


def rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * PAGE / 2**20


def _named_stages() -> None:
    """Make `profiling.stage` also record which stage each thread is in (before the stages import it)."""
    from qa_pipeline import profiling

    timed = profiling.stage

    @contextlib.contextmanager
    def stage(name: str):
        stack = _running.setdefault(threading.get_ident(), [])
        stack.append(name)
        try:
            with timed(name):
                yield
        finally:
            stack.pop()

    profiling.stage = stage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("recording", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--every", type=float, default=0.01, help="seconds between samples")
    args = parser.parse_args()
    _named_stages()
    from qa_pipeline.concurrency import with_workers
    from qa_pipeline.pipeline import CallPipeline, CallSource, PipelineSettings
    from qa_pipeline.rubric import load_rubric
    from qa_pipeline.speech.asr import AsrOptions

    peaks: dict[str, tuple[float, float]] = {}
    done = threading.Event()
    started = time.perf_counter()

    def sample() -> None:
        while not done.is_set():
            now = rss_mb()
            names = "+".join(s[-1] for s in list(_running.values()) if s) or "(between stages)"
            if now > peaks.get(names, (0.0, 0.0))[0]:
                peaks[names] = (now, time.perf_counter() - started)
            time.sleep(args.every)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    pipeline = CallPipeline(PipelineSettings(load_rubric("etiquette"), with_workers(AsrOptions(), args.workers)))
    with tempfile.TemporaryDirectory(prefix="qa-stage-memory-") as out:
        scored = pipeline.run_safely(CallSource(args.recording, args.recording.stem), Path(out))
    done.set()
    sampler.join()
    if not hasattr(scored, "card"):
        sys.exit(f"{args.recording}: {scored.reason}")
    print(f"{args.recording.name}: {scored.card.duration_s / 60:.1f} min, model {scored.card.versions.get('asr_model', '?')}; "
          f"ru_maxrss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; wall "
          f"{time.perf_counter() - started:.0f} s")
    for names, (mb, at) in sorted(peaks.items(), key=lambda kv: -kv[1][0]):
        print(f"{mb:>8.0f} MB  at {at:>7.1f} s  {names}")


if __name__ == "__main__":
    main()
