"""Pieces the benchmarks share: the recordings, bare faster-whisper, memory probes."""

from __future__ import annotations

import resource
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".mp3"}


def default_recordings() -> list[Path]:
    for folder in (ROOT / "sample_audio", ROOT / "tests" / "data" / "asr"):
        found = sorted(p for p in folder.glob("*") if p.suffix.lower() in AUDIO_SUFFIXES)
        if found:
            return found
    return []


def whole_channels(audio):
    """`audio` with its channels computed whole (`speech.audio.Channel` resamples when read), so that
    bare faster-whisper gets decoded arrays and no timed run pays for the resampling."""
    import dataclasses

    import numpy as np

    return dataclasses.replace(audio, channels=tuple(np.asarray(c, dtype=np.float32) for c in audio.channels))


def bare_transcribe_all(model, audios, workers: int, options, beam_size: int = 5) -> int:
    """Every channel of `audios` through WhisperModel.transcribe alone, `workers` at once.

    The pipeline's decoding settings (`decoding_settings`: Silero VAD, word timestamps, no
    conditioning on earlier text) with beam `beam_size`, on whole channels; returns the
    number of words, so the lazy segment generators really run.
    """
    import dataclasses

    from qa_pipeline.speech.decoding import decoding_settings

    settings = decoding_settings(dataclasses.replace(options, beam_size=beam_size))
    channels = [channel for audio in audios for channel in audio.channels]

    def one(samples) -> int:
        segments, _ = model.transcribe(samples, **settings)
        return sum(len(s.words or ()) for s in segments)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return sum(pool.map(one, channels))


def current_rss_mb() -> float:
    """This process's resident memory now (Linux /proc), else its peak so far, in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_rss_mb() -> float:
    """This process's own peak resident memory so far, in MB: Linux's VmHWM, else `ru_maxrss`.

    Not `ru_maxrss` on Linux: a process started by `subprocess` (vfork, then exec) keeps in
    it the peak of the parent it was started from, so a child scoring a long call reported
    the 1,354 MB the bench itself reached building that call, not its own 1,036 MB.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_long_call(paths: list[Path], minutes: float, target: Path) -> Path:
    """A stereo FLAC of at least `minutes`, the given calls (same sample rate) one after another."""
    import numpy as np
    import soundfile as sf

    pieces, rate, total = [], None, 0
    while total < minutes * 60 * (rate or 8000):
        for path in paths:
            data, file_rate = sf.read(path, dtype="float32", always_2d=True)
            rate = rate or file_rate
            if file_rate != rate or data.shape[1] != 2:
                continue
            pieces.append(data)
            total += len(data)
            if total >= minutes * 60 * rate:
                break
        if not pieces:
            raise SystemExit("no stereo recording to build a long call from")
    sf.write(target, np.concatenate(pieces)[: int(minutes * 60 * rate)], rate, format="FLAC")
    return target


_SCORER = """
import json, shutil, sys, tempfile, time
from pathlib import Path
from qa_pipeline.concurrency import ordered_map, with_workers
from qa_pipeline.pipeline import CallPipeline, CallSource, Failure, PipelineSettings
from qa_pipeline.rubric import load_rubric
from qa_pipeline.speech.asr import AsrOptions
sys.path.insert(0, "bench")
from _common import current_rss_mb, peak_rss_mb
path, workers = Path(sys.argv[1]), int(sys.argv[2])
pipeline = CallPipeline(PipelineSettings(load_rubric("etiquette"), with_workers(AsrOptions(), workers)))
out = Path(tempfile.mkdtemp(prefix="qa-bench-mem-"))
def score(i):
    outcome = pipeline.run_safely(CallSource(path, f"{path.stem}-{i}"), out)
    if isinstance(outcome, Failure):
        sys.exit(f"{path}: {outcome.reason}")
    return outcome
"""

LONG_CALL_CHILD = _SCORER + """
started = time.perf_counter()
card = score(0).card
print(json.dumps({"duration_s": card.duration_s, "wall_s": time.perf_counter() - started, "peak_mb": peak_rss_mb()}))
shutil.rmtree(out)
"""

MANY_CALLS_CHILD = _SCORER + """
calls, rss = int(sys.argv[3]), {}
for n, _ in enumerate(ordered_map(score, range(calls), workers), start=1):
    if n in (10, calls):
        rss.update({key: current_rss_mb() for key, at in (("rss_10", 10), ("rss_last", calls)) if n == at})
print(json.dumps(rss))
shutil.rmtree(out)
"""
