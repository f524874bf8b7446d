"""Transcription speed: our pipeline against a bare faster-whisper call.

For each recording, prints its length, the wall time and the real-time factor
(wall / audio seconds; below 1 is faster than real time) of:
  pipeline  qa_pipeline.speech.asr.transcribe_audio (VAD, word timestamps, crosstalk, utterances)
  bare      WhisperModel.transcribe with its defaults over the same channels
Decoding the file and loading the model are timed once, separately.

    python bench/transcribe.py [RECORDING ...] [--model M] [--device D] [--compute-type T]

Without arguments it uses the calls in sample_audio/, or the test clips when there are none.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from _common import default_recordings  # noqa: E402


def bare_transcribe(model, audio) -> int:
    words = 0
    for channel in audio.channels:
        segments, _ = model.transcribe(np.asarray(channel, dtype=np.float32), language="en")
        words += sum(len(s.text.split()) for s in segments)
    return words


def timed(function, *args):
    started = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("recordings", nargs="*", type=Path)
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--compute-type", default="int8")
    args = parser.parse_args()

    from qa_pipeline.speech.asr import AsrOptions, load_model, transcribe_audio
    from qa_pipeline.speech.audio import load_audio

    options = AsrOptions(model=args.model, device=args.device, compute_type=args.compute_type)
    recordings = args.recordings or default_recordings()
    if not recordings:
        sys.exit("no recordings: pass paths, or add calls to sample_audio/")
    model, load_s = timed(load_model, options)
    print(f"model {args.model} on {args.device}/{args.compute_type}, loaded in {load_s:.2f} s; "
          f"{os.cpu_count()} CPUs, {platform.processor() or platform.machine()}")
    transcribe_audio(load_audio(recordings[0]), options)  # warm-up: first-call setup is not speed

    print(f"{'recording':<28}{'ch':>3}{'audio s':>9}{'decode s':>9}"
          f"{'pipe s':>8}{'pipe RTF':>9}{'bare s':>8}{'bare RTF':>9}")
    totals = [0.0, 0.0, 0.0]
    for path in recordings:
        audio, decode_s = timed(load_audio, path)
        _, pipe_s = timed(transcribe_audio, audio, options)
        _, bare_s = timed(bare_transcribe, model, audio)
        seconds = audio.duration_s
        totals = [totals[0] + seconds, totals[1] + pipe_s, totals[2] + bare_s]
        print(f"{path.name:<28}{len(audio.channels):>3}{seconds:>9.1f}{decode_s:>9.2f}"
              f"{pipe_s:>8.2f}{pipe_s / seconds:>9.3f}{bare_s:>8.2f}{bare_s / seconds:>9.3f}")
    seconds, pipe_s, bare_s = totals
    print(f"{'total':<28}{'':>3}{seconds:>9.1f}{'':>9}{pipe_s:>8.2f}{pipe_s / seconds:>9.3f}"
          f"{bare_s:>8.2f}{bare_s / seconds:>9.3f}")


if __name__ == "__main__":
    main()
