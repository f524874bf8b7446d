"""A corpus of odd and hostile inputs, made at test time, and what the product must do with each.

Every kind is written into one inbox folder. Speech comes from the committed clip
tests/data/asr/two_speakers.flac (8 kHz stereo, agent left): the customer's "Tuesday
morning would be great." and the agent's "Yes, that is free. Thank you for calling,
goodbye.", about 5 s in all. Each kind is one `Kind`: the file it writes and the
outcome expected, either a scorecard (with warning fragments and verdicts) or an
error whose reason holds a fragment.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

CLIP = Path(__file__).resolve().parent / "data" / "asr" / "two_speakers.flac"
RATE = 8000
NO_SPEECH = "no speech detected"
TRUNCATED = "recording is truncated: the header promises"
CUSTOMER_EMPTY = "the customer's channel, channel 1 (right), carries no speech"
AGENT_EMPTY = "the agent's channel, channel 0 (left), carries no speech"


@dataclass(frozen=True)
class Kind:
    """One hostile input: its name in the inbox, how to make it, what must happen."""

    name: str
    make: Callable[[Path], None]
    error: str = ""  # fragments of the error/quarantine reason, "|" between alternatives; "" when a card is due
    warnings: tuple[str, ...] = ()  # fragments that must appear in the card's warnings
    verdicts: Mapping[str, str] = field(default_factory=dict)
    not_heard: tuple[str, ...] = ()  # words of the other leg's echo that must not reach the transcript

    @property
    def scored(self) -> bool:
        return not self.error

    def reason_ok(self, reason: str) -> bool:
        return any(fragment in reason for fragment in self.error.split("|"))


def speech() -> np.ndarray:
    """About 5 s of a stereo call: the customer's line, then the agent's closing line."""
    data, rate = sf.read(CLIP, dtype="float32", always_2d=True)
    assert rate == RATE

    def cut(a: float, b: float) -> np.ndarray:
        return data[int(a * RATE):int(b * RATE)]

    return np.concatenate([cut(11.9, 13.7), cut(14.2, 17.7)])


def _noise(seconds: float, channels: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 0.1, (int(seconds * RATE), channels)).astype(np.float32)


def _tone(seconds: float, hz: float, channels: int = 2) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return np.repeat((0.3 * np.sin(2 * np.pi * hz * t))[:, None], channels, axis=1).astype(np.float32)


def _write(data: np.ndarray, rate: int = RATE, **kwargs) -> Callable[[Path], None]:
    return lambda path: sf.write(path, data, rate, **kwargs)


def _truncated(fmt: dict, keep: float = 0.6) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        sf.write(path, speech(), RATE, **fmt)
        payload = path.read_bytes()
        path.write_bytes(payload[: int(len(payload) * keep)])
    return make


def _one_channel(channel: int) -> np.ndarray:
    data = speech().copy()
    data[:, 1 - channel] = 0.0
    return data


def _wav_header_only(path: Path) -> None:
    sf.write(path, speech(), RATE, subtype="PCM_16")
    path.write_bytes(path.read_bytes()[:44])


def _link(target: str) -> Callable[[Path], None]:
    return lambda path: os.symlink(target, path)


def _folder(path: Path) -> None:
    path.mkdir()


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _socket(path: Path) -> None:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.close()  # the socket file stays


def _unreadable(path: Path) -> None:
    """chmod 000, where permissions apply; root reads past them, so there the entry is a
    link to /proc/self/mem, whose first page every read fails on with an I/O error."""
    sf.write(path, _tone(2, 1000), RATE)
    path.chmod(0)
    try:
        open(path, "rb").close()
    except PermissionError:
        return
    path.unlink()
    os.symlink("/proc/self/mem", path)


def _bytes(payload: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(payload)


def kinds() -> list[Kind]:
    """The corpus: 32 kinds."""
    call = speech()
    float_hot = (call * 50).astype(np.float32)
    return [
        Kind("clean_call.wav", _write(call, subtype="PCM_16"), verdicts={"said_goodbye": "pass"}),
        Kind("mono_call.flac", _write(call.mean(axis=1)), warnings=("in the mix",)),
        Kind("customer_leg_silent.flac", _write(_one_channel(0)), warnings=(CUSTOMER_EMPTY,),
             verdicts={"name_use": "not_applicable", "said_goodbye": "pass"}, not_heard=("tuesday",)),
        Kind("agent_leg_silent.flac", _write(_one_channel(1)), warnings=(AGENT_EMPTY, "--agent-channel"),
             verdicts={"self_introduction": "not_applicable", "said_goodbye": "not_applicable",
                       "asked_questions": "not_applicable"}, not_heard=("goodbye", "calling")),
        Kind("truncated_wav.wav", _truncated({"subtype": "PCM_16"}), warnings=(TRUNCATED,),
             verdicts={"said_goodbye": "not_applicable"}),
        Kind("truncated_flac.flac", _truncated({}), warnings=(TRUNCATED,), verdicts={"said_goodbye": "not_applicable"}),
        Kind("truncated_mp3.mp3", _truncated({"format": "MP3"}), warnings=(TRUNCATED,),
             verdicts={"said_goodbye": "not_applicable"}),
        Kind("float_beyond_full_scale.wav", _write(float_hot, subtype="FLOAT"),
             warnings=("beyond full scale", "scaled down"), verdicts={"said_goodbye": "pass"}),
        Kind("clipped_pcm16.wav", _write(np.clip(call * 30, -1, 1), subtype="PCM_16"),
             warnings=("clipping:", "at full scale")),
        Kind("digital_silence.wav", _write(np.zeros((3 * RATE, 2), np.float32)), error=NO_SPEECH),
        Kind("white_noise_stereo.wav", _write(_noise(3, 2, 1)), error=NO_SPEECH),
        Kind("white_noise_mono.wav", _write(_noise(3, 1, 2)), error=NO_SPEECH),
        Kind("tone_1khz.flac", _write(_tone(3, 1000)), error=NO_SPEECH),
        Kind("mains_hum.flac", _write(_tone(3, 50)), error=NO_SPEECH),
        Kind("speech_at_minus_60_db.wav", _write(call * 10 ** (-60 / 20), subtype="FLOAT"), error=NO_SPEECH),
        Kind("rate_4khz.wav", _write(_tone(2, 440)[::2], rate=4000), error="below 8000 Hz"),
        Kind("too_short.wav", _write(call[: RATE // 2]), error="too short"),
        Kind("three_channels.wav", _write(np.zeros((2 * RATE, 3), np.float32) + 0.01), error="3 channels"),
        Kind("nan_samples.wav", _write(np.full((2 * RATE, 2), np.nan, np.float32), subtype="FLOAT"),
             error="NaN or infinity"),
        Kind("empty.wav", _bytes(b""), error="empty (0 bytes)"),
        Kind("text.wav", _bytes(b"this is a text file, not a recording\n" * 20), error="not a readable audio file"),
        Kind("random_bytes.mp3", _bytes(np.random.default_rng(3).bytes(6000)), error="not a readable audio file"),
        Kind("wav_header_only.wav", _wav_header_only, error="no audio samples"),
        Kind("truncated_ogg.ogg", _truncated({"format": "OGG"}, keep=0.3),
             error="too short|not a readable audio file|no audio samples"),
        Kind("broken_link.wav", _link("does-not-exist.wav"), error="broken link"),
        Kind("link_loop.wav", _link("link_loop.wav"), error="cannot be read"),
        Kind("folder.wav", _folder, error="is a folder"),
        Kind("fifo.wav", _fifo, error="not a regular file"),
        Kind("socket.wav", _socket, error="not a regular file"),
        Kind("unreadable.wav", _unreadable, error="cannot be read"),
        Kind("image.flac", _bytes(b"\x89PNG\r\n\x1a\n" + bytes(500)), error="not a readable audio file"),
        Kind("junk_after_riff.wav", _bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" * 40), error="not a readable audio file"),
    ]


def make_inbox(folder: Path) -> dict[str, Kind]:
    """Write every kind into `folder`; returns them by file name."""
    folder.mkdir(parents=True, exist_ok=True)
    made = {}
    for kind in kinds():
        kind.make(folder / kind.name)
        made[kind.name] = kind
    return made
