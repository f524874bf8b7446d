"""Wall time of decoding and the signal stages around transcription (no ASR), per call.

Decode, same-channel and same-mix checks, queue-music search, own-speech frames, crosstalk
levels, the transcription pieces cut and read (as `decoding.transcribe_channel` reads them)
and pitch at a sentence end every 3 s: what reads the decoded channels, so the cost of how
they are held (whole 16 kHz arrays, or `speech.audio.Channel` stretches). Run it against two
versions of the code on the same machine, alternating, and compare the sums:

    PYTHONPATH=OLD python bench/signal_stages.py sample_audio/C0*.flac --rounds 3
    PYTHONPATH=.   python bench/signal_stages.py sample_audio/C0*.flac --rounds 3
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def stages(path: Path) -> float:
    from qa_pipeline.records import SAMPLE_RATE
    from qa_pipeline.speech.audio import load_audio
    from qa_pipeline.speech.crosstalk import suppress_crosstalk
    from qa_pipeline.speech.decoding import piece_bounds
    from qa_pipeline.speech.mix import is_same_audio, is_same_mix
    from qa_pipeline.speech.prelude import find_prelude
    from qa_pipeline.speech.prosody import final_rise_st
    from qa_pipeline.speech.speech_activity import own_speech_frames

    started = time.perf_counter()
    audio = load_audio(path)
    channels = audio.channels
    if len(channels) == 2:
        is_same_audio(*channels) or is_same_mix(*channels, SAMPLE_RATE)
    for channel in channels:
        find_prelude(channel, SAMPLE_RATE)
        rest = channel[0:]
        for start, end in piece_bounds(rest):
            rest[start:end].sum()
        for end_s in range(3, int(len(channel) / SAMPLE_RATE), 3):
            final_rise_st(channel, SAMPLE_RATE, float(end_s), end_s - 2.0)
    if len(channels) == 2:
        active = [own_speech_frames(channels[ch], channels[1 - ch], SAMPLE_RATE) for ch in (0, 1)]
        suppress_crosstalk(((), ()), channels, SAMPLE_RATE, own_speech=active)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("recordings", nargs="+", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    stages(args.recordings[0])  # warm-up: imports
    totals = []
    for _ in range(args.rounds):
        totals.append(sum(stages(path) for path in args.recordings))
    print(f"{len(args.recordings)} calls: decode + signal stages {min(totals):.2f} s (best of {args.rounds}; "
          + ", ".join(f"{t:.2f}" for t in totals) + ")")


if __name__ == "__main__":
    main()
