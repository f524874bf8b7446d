"""Batched decoding (faster-whisper BatchedInferencePipeline) against the pipeline's sequential decoding.

Users report that the batched pipeline drops segments and moves timestamps (faster-whisper
issues #1179, #1427). This measures, per channel, on the same decoded audio and the same
model:
  speed     channel-seconds per wall-second, one channel at a time
  start     whether the first words of the agent's first scripted line are heard: similarity
            of the channel's first words to that line (sample calls: scripts/calls/*.yaml)
  words     words heard in all, and words the sequential pass has that the batched one lacks
  lines     on the ASR test clips (tests/data/asr/clips.json, line placements known): mean
            absolute error of each line's first word start against where it was placed

    python bench/batched.py                       # the ASR test clips and 8 sample calls
    python bench/batched.py --limit 27 --batch-size 16
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from _asr_helpers import normalise  # noqa: E402

VAD = {"threshold": 0.5, "min_silence_duration_ms": 500, "speech_pad_ms": 200, "min_speech_duration_ms": 150}


def sequential(model, samples):
    segments, _ = model.transcribe(samples, language="en", beam_size=5, word_timestamps=True, vad_filter=True,
                                   vad_parameters=VAD, condition_on_previous_text=False)
    return [w for s in segments for w in (s.words or ())]


def batched(pipeline, samples, batch_size: int):
    segments, _ = pipeline.transcribe(samples, language="en", beam_size=5, word_timestamps=True, vad_filter=True,
                                      vad_parameters=VAD, batch_size=batch_size)
    return [w for s in segments for w in (s.words or ())]


def first_agent_line(call_id: str) -> str | None:
    script = next((ROOT / "scripts" / "calls").glob(f"{call_id}_*.yaml"), None)
    if script is None:
        return None
    turns = yaml.safe_load(script.read_text())["turns"]
    return next((t["text"] for t in turns if t["speaker"] == "agent"), None)


def start_similarity(words, line: str) -> float:
    said = normalise(line)
    heard = normalise(" ".join(w.word for w in words))[: len(said)]
    return SequenceMatcher(None, heard, said).ratio()


def missing_words(reference, other) -> int:
    a, b = [" ".join(normalise(w.word)) for w in reference], [" ".join(normalise(w.word)) for w in other]
    matched = sum(block.size for block in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())
    return len(a) - matched


def line_start_errors(words, lines, channel: int) -> list[float]:
    errors = []
    for line in (x for x in lines if x["channel"] == channel):
        inside = [w for w in words if line["start"] - 1.0 <= w.start <= line["end"]]
        errors.append(abs(inside[0].start - line["start"]) if inside else float("inf"))
    return errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--limit", type=int, default=8, help="sample calls to use (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=8)
    args = parser.parse_args()

    from faster_whisper import BatchedInferencePipeline

    from qa_pipeline.speech.asr import AsrOptions, load_model
    from qa_pipeline.speech.audio import load_audio

    model = load_model(AsrOptions(model=args.model))
    pipeline = BatchedInferencePipeline(model)
    clips = json.loads((ROOT / "tests" / "data" / "asr" / "clips.json").read_text())["clips"]
    calls = sorted((ROOT / "sample_audio").glob("C*.*"))[: args.limit]
    totals = {"seq": [0.0, 0, []], "bat": [0.0, 0, []]}  # wall s, words, line start errors
    audio_s, missing, starts = 0.0, 0, {"seq": [], "bat": []}
    sequential(model, load_audio(calls[0]).channels[0][: 16000 * 5])  # warm-up
    print(f"{'recording':<22}{'ch':>3}{'seq words':>10}{'bat words':>10}{'missing':>8}{'seq start':>10}{'bat start':>10}")
    items = [(ROOT / "tests" / "data" / "asr" / c["file"], c["lines"]) for c in clips.values()] + [(p, None) for p in calls]
    for path, lines in items:
        audio = load_audio(path)
        for channel, samples in enumerate(np.asarray(c, dtype=np.float32) for c in audio.channels):
            audio_s += len(samples) / 16000
            got = {}
            for key, run in (("seq", lambda s=samples: sequential(model, s)),
                             ("bat", lambda s=samples: batched(pipeline, s, args.batch_size))):
                started = time.perf_counter()
                got[key] = run()
                totals[key][0] += time.perf_counter() - started
                totals[key][1] += len(got[key])
                if lines is not None:
                    totals[key][2] += line_start_errors(got[key], lines, channel)
            lost = missing_words(got["seq"], got["bat"])
            missing += lost
            line = first_agent_line(path.stem) if channel == 0 and lines is None else None
            shown = {k: "" for k in got}
            if line:
                for key in got:
                    starts[key].append(start_similarity(got[key], line))
                    shown[key] = f"{starts[key][-1]:.2f}"
            print(f"{path.name:<22}{channel:>3}{len(got['seq']):>10}{len(got['bat']):>10}{lost:>8}"
                  f"{shown['seq']:>10}{shown['bat']:>10}")
    for key, name in (("seq", "sequential"), ("bat", f"batched (batch {args.batch_size})")):
        wall, words, errors = totals[key]
        finite = [e for e in errors if e != float("inf")]
        print(f"{name:<22} {audio_s / wall:6.1f} channel-s per wall-s; {words} words; first agent line "
              f"heard {sum(starts[key]) / max(1, len(starts[key])):.3f}; line starts on the clips: "
              f"mean error {sum(finite) / max(1, len(finite)):.3f} s, {len(errors) - len(finite)} lines with no word")
    print(f"words of the sequential pass missing from the batched one: {missing}")


if __name__ == "__main__":
    main()
