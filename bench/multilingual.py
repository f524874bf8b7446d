"""Whisper base (multilingual) against tiny.en, with and without Silero VAD, on the same calls.

    python bench/multilingual.py [--calls 3] [--threads 2] [--time-limit-s 0]

Each call's channels go through the pipeline's decoding (`speech.decoding.transcribe_channel_bounded`,
English, beam 5); the three settings take turns call by call, so load on the machine falls
on all of them alike. Prints call-seconds of audio per wall-second for each setting and the
ratios, which are what to compare across machines (issue 21 asks whether base reaches 12
call-s/s; tiny.en stays the English default either way). With --time-limit-s, each channel's
decoding stops after that many seconds and the bench says where.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import default_recordings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--time-limit-s", type=float, default=0.0)
    args = parser.parse_args()

    from qa_pipeline.speech import decoding
    from qa_pipeline.speech.asr import AsrOptions, load_model
    from qa_pipeline.speech.audio import load_audio

    limit = args.time_limit_s or None
    settings = {
        "tiny.en + VAD": AsrOptions(model="tiny.en", cpu_threads=args.threads, time_limit_s=limit),
        "base + VAD": AsrOptions(model="base", cpu_threads=args.threads, time_limit_s=limit),
        "base, no VAD": AsrOptions(model="base", cpu_threads=args.threads, time_limit_s=limit),
    }
    models = {name: load_model(options) for name, options in settings.items()}
    audios = [load_audio(p) for p in default_recordings()[: args.calls]]
    wall = dict.fromkeys(settings, 0.0)
    words = dict.fromkeys(settings, 0)
    # VAD off is no pipeline setting: the bench swaps decoding_settings for its own turn only.
    original = decoding.decoding_settings
    for audio in audios:
        for name, options in settings.items():
            vad = "no VAD" not in name
            decoding.decoding_settings = lambda o, h=None, vad=vad: {**original(o, h), "vad_filter": vad}
            start = time.perf_counter()
            for channel in audio.channels:
                heard = decoding.transcribe_channel_bounded(models[name], channel, options)
                words[name] += len(heard.words)
                if heard.stopped_at_s is not None:
                    print(f"  {name}: {Path(audio.path).name} stopped at {heard.stopped_at_s} s (time limit)")
            wall[name] += time.perf_counter() - start
    decoding.decoding_settings = original
    audio_s = sum(a.duration_s for a in audios)
    print(f"{len(audios)} calls, {audio_s:.0f} s of audio (stereo: both channels transcribed), "
          f"{args.threads} CPU threads, beam 5")
    for name in settings:
        print(f"  {name:<14} {audio_s / wall[name]:6.2f} call-s/s  ({wall[name]:.1f} s wall, {words[name]} words)")
    base = wall["base + VAD"]
    print(f"  base/tiny.en wall ratio {base / wall['tiny.en + VAD']:.2f}; base without/with VAD "
          f"{wall['base, no VAD'] / base:.2f}")


if __name__ == "__main__":
    main()
