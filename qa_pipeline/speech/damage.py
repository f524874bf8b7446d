"""Damage a decoder passes over quietly: truncated files and clipped samples.

A decoder gives back whatever audio a file still holds, so a recording cut short (a
copy interrupted, a disk full, an upload dropped) decodes without an error. The length
the file's header promises is the evidence:

- WAV: the ``data`` chunk's size in the RIFF header (libsndfile shortens its own frame
  count to the bytes present, so the header is read here). A size of 0 or 0xFFFFFFFF is
  what a recorder writes while still recording; that promises nothing.
- FLAC: the total sample count in STREAMINFO (libsndfile reports it as the frame count).
- MP3: the frame count of a Xing/Info or VBRI header (LAME, ffmpeg and libsndfile write
  one; libmpg123 reports it as the length). An MP3 without such a header carries no
  promise of its length, so a cut one cannot be told from a short one.
- OGG/Vorbis: no length in the header; a cut file that still opens cannot be detected.

Clipping is measured on the decoded samples: float recordings can hold samples beyond
full scale (±1.0), which every conversion to PCM clips; integer PCM that hits its
largest code, and float PCM at exactly ±1.0 (a recorder that clamps), has already been
clipped when it was recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa_pipeline.catalogues import N_
from qa_pipeline.growing import HEADER_BYTES, UNKNOWN_SIZES, wav_chunk  # sizes a recorder writes while still recording

# Decoded audio is truncated when it is this much shorter than promised (both must hold):
# decoders differ by a frame or two of padding, never by a quarter of a second.
TRUNCATION_MIN_S = 0.25
TRUNCATION_MIN_SHARE = 0.01
# Clipping is reported from this share of samples on; a few full-scale peaks are harmless.
CLIPPING_MIN_SHARE = 0.001
# The Xing/Info tag sits inside the first frame: at most 1,441 bytes at 320 kbit/s, 48 kHz.
_MP3_FIRST_FRAME_BYTES = 2048
# Integer PCM subtypes and their sample widths: their largest code is full scale.
_PCM_BITS = {"PCM_S8": 8, "PCM_U8": 8, "PCM_16": 16, "PCM_24": 24, "PCM_32": 32}
_FLOAT_SUBTYPES = ("FLOAT", "DOUBLE")
# Frames scanned at a time by `full_scale`.
_SCAN_FRAMES = 1 << 20


@dataclass(frozen=True)
class Truncation:
    """A recording shorter than its header says: both lengths in seconds."""

    promised_s: float
    decoded_s: float

    @property
    def warning(self) -> str:
        return N_("recording is truncated: the header promises {promised} s, {decoded} s decoded").format(
            promised=f"{self.promised_s:.1f}", decoded=f"{self.decoded_s:.1f}")


def promised_frames(path: str | Path, container: str, header_frames: int) -> int | None:
    """The frame count a recording's header promises, or None when it promises none.

    `container` is soundfile's format name ("WAV", "FLAC", "MP3" ...) and
    `header_frames` the frame count soundfile reports, which is the header's promise
    for FLAC (STREAMINFO) and for an MP3 with a Xing/Info/VBRI frame.
    """
    try:
        if container in ("WAV", "WAVEX"):
            return wav_promised_frames(path)
        if container == "FLAC":
            return header_frames or None
        if container in ("MP3", "MPEG"):
            return header_frames if mp3_has_length_header(path) else None
    except OSError:
        return None  # the file went away after decoding: nothing more to learn
    return None


def wav_promised_frames(path: str | Path) -> int | None:
    """Frames the ``data`` chunk of a RIFF/WAVE header promises; None if no promise is made.

    Reads at most the first 64 KiB. None for another container, an unknown size, or a
    header without ``fmt `` before ``data``.
    """
    with open(path, "rb") as fh:
        head = fh.read(HEADER_BYTES)
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    fmt, data = wav_chunk(head, b"fmt "), wav_chunk(head, b"data")
    if fmt is None or data is None or fmt[0] > data[0] or fmt[0] + 22 > len(head):
        return None
    block_align = int.from_bytes(head[fmt[0] + 20:fmt[0] + 22], "little")
    if block_align <= 0 or data[1] in UNKNOWN_SIZES:
        return None
    return data[1] // block_align


def mp3_has_length_header(path: str | Path) -> bool:
    """True when the first MPEG frame (after any ID3v2 tag) is a Xing, Info or VBRI frame.

    Without one, libmpg123 estimates the length from the file size, which is no promise.
    """
    with open(path, "rb") as fh:
        head = fh.read(10)
        skip = 0
        if head[:3] == b"ID3" and len(head) == 10:
            skip = 10 + ((head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | (head[9] & 0x7F))
        fh.seek(skip)
        frame = fh.read(_MP3_FIRST_FRAME_BYTES)
    return any(tag in frame for tag in (b"Xing", b"Info", b"VBRI"))


def find_truncation(promised_frames: int | None, decoded_frames: int, rate: int) -> Truncation | None:
    """A `Truncation` when fewer frames decoded than were promised by a clear margin."""
    if not promised_frames or promised_frames <= decoded_frames or rate <= 0:
        return None
    lost = promised_frames - decoded_frames
    if lost / rate < TRUNCATION_MIN_S or lost / promised_frames < TRUNCATION_MIN_SHARE:
        return None
    return Truncation(round(promised_frames / rate, 2), round(decoded_frames / rate, 2))


def full_scale(data: np.ndarray, subtype: str) -> tuple[float | None, str | None]:
    """The peak to divide the samples by to bring them within full scale (None: keep
    them as they are), and a clipping warning when one is due.

    `data` is (frames, channels): float32 as decoded, or a 16-bit PCM recording's int16
    codes (full scale 32768). Samples beyond ±1.0 (a float recording, or a lossy
    decoder's overshoot) are not cut: the whole recording is to be scaled down by its
    peak, which keeps the waveform, and the warning gives the share of samples that were
    beyond full scale. Integer PCM at its largest code, and float PCM at exactly ±1.0,
    was clipped before it reached us; the warning gives that share. Scanned `_SCAN_FRAMES` at a time: no whole-call copy.
    """
    if data.size == 0:
        return None, None
    blocks = [data[i : i + _SCAN_FRAMES] for i in range(0, len(data), _SCAN_FRAMES)]
    if data.dtype.kind == "f":
        peak = max(float(np.abs(b).max()) for b in blocks)
        if peak > 1.0:
            share = sum(int(np.count_nonzero(np.abs(b) > 1.0)) for b in blocks) / data.size
            if share < CLIPPING_MIN_SHARE and subtype not in _FLOAT_SUBTYPES:
                return peak, None  # a lossy decoder's few overshooting peaks
            return peak, N_("clipping: {share} of samples are beyond full scale (peak {peak} times full scale); "
                            "the audio was scaled down to full scale for analysis").format(
                share=_percent(share), peak=f"{peak:.3g}")
    ceiling = _ceiling(subtype)
    if ceiling is None:
        return None, None
    if data.dtype == np.int16:  # |k| >= 32767 (np.abs would overflow on -32768)
        at_top = sum(int(np.count_nonzero((b >= 32767) | (b <= -32767))) for b in blocks)
    else:
        at_top = sum(int(np.count_nonzero(np.abs(b) >= ceiling)) for b in blocks)
    share = at_top / data.size
    if share < CLIPPING_MIN_SHARE:
        return None, None
    return None, N_("clipping: {share} of samples are at full scale (clipped when recorded); clipped speech "
                    "may be misheard").format(share=_percent(share))


def _ceiling(subtype: str) -> float | None:
    """The decoded value of a subtype's full scale: its largest code for integer PCM, 1.0
    for float (a float recorder clamps at ±1.0 as an integer one at its largest code);
    None for a lossy codec, whose decoder may overshoot full scale a little."""
    if subtype in _FLOAT_SUBTYPES:
        return 1.0
    bits = _PCM_BITS.get(subtype)
    return None if bits is None else (2 ** (bits - 1) - 1) / 2 ** (bits - 1)


def _percent(share: float) -> str:
    return f"{100 * share:.1f} %" if share >= 0.001 else f"{100 * share:.2f} %"
