"""Render a share of the dialogue-act training utterances to telephone audio and
transcribe them with the real ASR, so the classifier also learns from Whisper's output
(lower case, dropped punctuation, misheard words) rather than only from clean text.

Run once, after the training data changes:

    .venv/bin/python scripts/render_training_audio.py [--per-label 23] [--out data/asr_augmented]

The choice of utterances and voices is deterministic (stable hashes), and the output
file is appended to as it goes, so an interrupted run resumes where it stopped and a
larger --per-label adds to what is there. Transcripts that happen to repeat a line of
the sample call scripts are dropped at the end, keeping the sample corpus unseen.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zlib
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa_pipeline.classifiers.data import load_dialogue_acts, near_duplicates  # noqa: E402
from qa_pipeline.records import SAMPLE_RATE  # noqa: E402
from qa_pipeline.speech.asr import AsrOptions, load_model  # noqa: E402
from qa_pipeline.speech.decoding import transcribe_channel  # noqa: E402
from qa_pipeline.synth import TELEPHONE_RATE, VOICES, speak, telephone_band  # noqa: E402

OUTPUT_NAME = "dialogue_acts.jsonl"
NOISE_DBFS = -50.0


def choose(examples, per_label: int):
    """The same `per_label` utterances of each label on every run (ordered by a stable hash)."""
    by_label: dict[str, list] = {}
    for example in sorted(examples, key=lambda e: zlib.crc32(e.text.encode())):
        by_label.setdefault(example.label, []).append(example)
    return [e for label in sorted(by_label) for e in by_label[label][:per_label]]


def voice_for(text: str) -> str:
    names = sorted(VOICES)
    return names[zlib.crc32(text.encode()) % len(names)]


def telephone_clip(text: str, voice: str) -> np.ndarray:
    """Speak `text`, pass it through the phone band with line noise, and return 16 kHz audio."""
    clip = telephone_band(speak(voice, text))
    rng = np.random.default_rng(zlib.crc32(text.encode()))
    clip = clip + rng.normal(0.0, 10 ** (NOISE_DBFS / 20), clip.shape)
    padded = np.concatenate([np.zeros(TELEPHONE_RATE // 4), clip, np.zeros(TELEPHONE_RATE // 4)])
    return resample_poly(padded, SAMPLE_RATE, TELEPHONE_RATE).astype(np.float32)


def done_texts(path: Path) -> set[str]:
    if not path.exists():
        return set()
    return {json.loads(line)["source_text"] for line in path.read_text(encoding="utf-8").splitlines() if line}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "dialogue_acts")
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "asr_augmented")
    parser.add_argument("--per-label", type=int, default=23)
    parser.add_argument("--scripts", type=Path, default=ROOT / "scripts" / "calls",
                        help="sample call scripts whose lines the output must not repeat")
    args = parser.parse_args(argv)

    target = args.out / OUTPUT_NAME
    args.out.mkdir(parents=True, exist_ok=True)
    todo = [e for e in choose(load_dialogue_acts(args.data), args.per_label)
            if e.text not in done_texts(target)]
    options = AsrOptions()
    model = load_model(options)
    started = time.process_time()
    with target.open("a", encoding="utf-8") as out:
        for n, example in enumerate(todo, 1):
            voice = voice_for(example.text)
            words = transcribe_channel(model, telephone_clip(example.text, voice), options)
            record = {"text": " ".join(w.text for w in words), "label": example.label,
                      "setting": example.setting, "source_text": example.text,
                      "voice": voice, "asr_model": "tiny.en"}
            out.write(json.dumps(record) + "\n")
            out.flush()
            if n % 25 == 0:
                print(f"{n}/{len(todo)} rendered, {time.process_time() - started:.0f} s CPU", flush=True)
    print(f"done: {len(todo)} utterances, {time.process_time() - started:.0f} s CPU in this process")
    dropped = drop_sample_script_matches(target, args.scripts)
    print(f"dropped {dropped} transcripts that repeat a sample call script line")
    return 0


def drop_sample_script_matches(target: Path, scripts: Path) -> int:
    """Remove ASR lines that came out as a line of the sample corpus, which must stay unseen.

    Whisper can turn one phrase into another ("Yeah, yeah." heard as "Yep."), so the
    written data being disjoint from the scripts does not make its ASR output disjoint.
    """
    import yaml

    reference = [turn["text"] for path in sorted(scripts.glob("*.yaml"))
                 for turn in yaml.safe_load(path.read_text(encoding="utf-8"))["turns"]]
    rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines() if line]
    clashes = {text for text, _ in near_duplicates([r["text"] for r in rows if r["text"]], reference)}
    kept = [r for r in rows if r["text"] not in clashes]
    target.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")
    return len(rows) - len(kept)


if __name__ == "__main__":
    raise SystemExit(main())
