"""Shared helpers for the audio and ASR tests: the committed clips and their scripts.

The clips under tests/data/asr/ are made by scripts/make_test_clips.py; clips.json says
which line each speaker says, on which channel, and where it was placed.
"""

from __future__ import annotations

import json
import re
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np
import soundfile as sf

ASR_DATA = Path(__file__).resolve().parent / "data" / "asr"
MANIFEST = json.loads((ASR_DATA / "clips.json").read_text())


def clip_path(name: str) -> Path:
    return ASR_DATA / MANIFEST["clips"][name]["file"]


def clip_lines(name: str) -> list[dict]:
    return MANIFEST["clips"][name]["lines"]


def read_clip(name: str) -> tuple[np.ndarray, int]:
    """The clip as (frames, channels) float32 samples and its sample rate."""
    data, rate = sf.read(clip_path(name), dtype="float32", always_2d=True)
    return data, rate


def normalise(text: str) -> list[str]:
    """Lowercase words without punctuation; hyphenated words split ("two-year" -> two year)."""
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("-", " ")).split()


def similarity(heard: str, expected: str) -> float:
    """Word-sequence similarity (0-1) that also penalises words out of order."""
    return SequenceMatcher(None, normalise(heard), normalise(expected)).ratio()


def contains_phrase(text: str, phrase: str) -> bool:
    return " ".join(normalise(phrase)) in " ".join(normalise(text))
