"""Shared fixtures' building blocks for the store and review-app tests.

Calls are real two-channel recordings spoken by espeak-ng (agent left, customer
right) with hand-built scorecards whose evidence times match the speech.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import socket
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import soundfile as sf

from qa_pipeline.contract import scorecard_to_dict
from qa_pipeline.records import (
    AGENT,
    CUSTOMER,
    FAIL,
    PASS,
    CallMetrics,
    CriterionResult,
    Evidence,
    Scorecard,
    Transcript,
    Utterance,
)

RATE = 16_000
CRITERIA = ("self_introduction", "name_use", "no_im_listening", "asked_questions", "said_goodbye")
PASSWORD = "correct horse battery staple"

# (speaker, text) in call order; each line starts 0.4 s after the previous one ends.
DIALOGUE = (
    (AGENT, "Good morning, Bright Smile Dental, my name is Anna."),
    (CUSTOMER, "Hi, I would like to book a cleaning please."),
    (AGENT, "Of course. What day works best for you?"),
    (CUSTOMER, "Thursday afternoon if possible."),
    (AGENT, "Thursday at three is free. Anything else I can do?"),
    (CUSTOMER, "No, that is all, thank you."),
    (AGENT, "Thank you for calling, goodbye."),
)


def speak(text: str) -> np.ndarray:
    """Mono float32 speech at 16 kHz from espeak-ng."""
    wav = subprocess.run(["espeak-ng", "--stdout", "-s", "170", text], check=True, capture_output=True).stdout
    samples, rate = sf.read(io.BytesIO(wav), dtype="float32")
    positions = np.arange(0, len(samples) * RATE / rate) * rate / RATE
    return np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)


def make_recording(path: Path, dialogue: tuple[tuple[str, str], ...] = DIALOGUE) -> tuple[Utterance, ...]:
    """Write a stereo WAV of `dialogue`; return its utterances with their true times."""
    pieces, utterances, cursor = [], [], 0.4
    for speaker, text in dialogue:
        speech = speak(text)
        start = cursor
        cursor += len(speech) / RATE
        utterances.append(Utterance(speaker, round(start, 2), round(cursor, 2), text))
        pieces.append((speaker, int(start * RATE), speech))
        cursor += 0.4
    stereo = np.zeros((int((cursor + 0.6) * RATE), 2), dtype=np.float32)
    for speaker, offset, speech in pieces:
        stereo[offset : offset + len(speech), 0 if speaker == AGENT else 1] = speech
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, stereo, RATE, subtype="PCM_16")
    return tuple(utterances)


def make_card(
    call_id: str,
    agent_id: str | None,
    recording: str,
    utterances: tuple[Utterance, ...],
    verdicts: dict[str, str],
) -> Scorecard:
    """A scorecard with one evidence line per criterion; score is the share of passes."""
    agent_lines = [u for u in utterances if u.speaker == AGENT]
    criteria = tuple(
        CriterionResult(
            criterion,
            verdicts.get(criterion, PASS),
            1.0,
            0.9,
            (Evidence.of(agent_lines[i % len(agent_lines)]),),
            f"{criterion} judged from agent line {i % len(agent_lines) + 1}",
        )
        for i, criterion in enumerate(CRITERIA)
    )
    passed = sum(c.verdict == PASS for c in criteria)
    duration = utterances[-1].end + 0.6
    return Scorecard(
        call_id=call_id,
        recording=recording,
        agent_id=agent_id,
        duration_s=duration,
        channels=2,
        rubric_id="etiquette",
        rubric_version="1",
        score=round(100 * passed / len(criteria), 1),
        criteria=criteria,
        metrics=CallMetrics(0, 12.0, 6.0, 3.0, 150.0, 2),
        transcript=Transcript(utterances, duration, 2, asr_model="tiny.en"),
        versions={"pipeline": "0.1.0", "asr_model": "tiny.en", "rubric": "etiquette/1"},
        outcome="appointment_booked",
    )


# call id, agent, call time, failed criteria
CALLS = (
    ("C01", "agent-anna", "2026-11-02T09:14:00", ()),
    ("C02", "agent-anna", "2026-11-03T10:00:00", ("name_use",)),
    ("C03", "agent-ben", "2026-11-03T11:30:00", ("name_use", "asked_questions")),
    ("C04", "agent-ben", "2026-11-05T15:45:00", ("said_goodbye",)),
)


def write_corpus(folder: Path) -> dict[str, Path]:
    """Recordings and scorecard JSON for CALLS under `folder`; returns call id -> JSON path.

    Each call gets its own recording (a silent tail of different length) so each
    has its own content hash.
    """
    base = folder / "base.wav"
    utterances = make_recording(base)
    audio, _ = sf.read(base, dtype="float32")
    out = {}
    for index, (call_id, agent_id, when, failed) in enumerate(CALLS):
        wav = folder / "recordings" / f"{call_id}.wav"
        wav.parent.mkdir(parents=True, exist_ok=True)
        sf.write(wav, np.vstack([audio, np.zeros((160 * (index + 1), 2), np.float32)]), RATE, subtype="PCM_16")
        card = make_card(call_id, agent_id, str(wav), utterances, {c: FAIL for c in failed})
        data = scorecard_to_dict(card) | {"call_time": when}
        path = folder / "scorecards" / f"{call_id}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2))
        out[call_id] = path
    base.unlink()
    return out


def rescored(card: Scorecard, **verdicts: str) -> Scorecard:
    """The same card with some machine verdicts changed, as a re-score might give."""
    criteria = tuple(replace(c, verdict=verdicts.get(c.id, c.verdict)) for c in card.criteria)
    return replace(card, criteria=criteria)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def have(program: str) -> bool:
    return shutil.which(program) is not None


USERS = (
    ("sam", "supervisor", None),
    ("tina", "trainer", None),
    ("ana", "agent", "agent-anna"),
    ("ben", "agent", "agent-ben"),
)


def seed_store(url: str, scorecards: dict[str, Path]) -> dict[str, int]:
    """Import the scorecards and create one account per role; returns call id -> scorecard id."""
    from qa_pipeline.cli.store_import import import_file
    from qa_pipeline.store import open_store

    store = open_store(url)
    try:
        ids = {call_id: import_file(store, path) for call_id, path in scorecards.items()}
        for name, role, agent_id in USERS:
            store.add_user(name, role, PASSWORD, agent_id)
    finally:
        store.close()
    return ids


CLI = Path(sys.executable).parent / "qa-pipeline"
# Real recordings scored by the real pipeline; file names carry agent, call time and call id.
SCORED_CALLS = {
    "agent-anna_2026-11-02T091400_C01.flac": "two_speakers.flac",
    "agent-ben_2026-11-03T101500_C02.flac": "interruption.flac",
    # The same conversation stored as WAV: other bytes, so another call, a later day.
    "agent-anna_2026-11-05T143000_C03.wav": "two_speakers.flac",
}


def score_calls(root: Path, folder: Path, url: str) -> None:
    """Copy the ASR test clips under agent-named files and score them into the store at `url`.

    The transcripts cache makes a later `rescore` skip ASR; scoring itself is real.
    """
    recordings = folder / "recordings"
    recordings.mkdir(parents=True, exist_ok=True)
    for name, clip in SCORED_CALLS.items():
        audio, rate = sf.read(root / "tests" / "data" / "asr" / clip, dtype="int16")
        sf.write(recordings / name, audio, rate, subtype="PCM_16")
    rescore(folder, url)
    for name, role, agent_id in USERS:
        args = [str(CLI), "user", "add", name, "--role", role, "--password-stdin", "--db", url]
        args += ["--agent-id", agent_id] if agent_id else []
        subprocess.run(args, input=PASSWORD + "\n", text=True, check=True, capture_output=True)


def rescore(folder: Path, url: str) -> None:
    args = [str(CLI), "score", str(folder / "recordings"), "--out", str(folder / "scores"), "--db", url,
            "--transcripts-cache", str(folder / "cache")]
    done = subprocess.run(args, text=True, capture_output=True)
    if done.returncode != 0:
        raise RuntimeError(f"qa-pipeline score failed:\n{done.stderr}")


def start_server(url: str, audio_root: Path) -> tuple[subprocess.Popen, str]:
    """`qa-pipeline serve` on a free port; returns the process and its base URL once it answers."""
    import time
    import urllib.request

    port = free_port()
    args = [str(CLI), "serve", "--port", str(port), "--db", url, "--audio-root", str(audio_root)]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"qa-pipeline serve exited:\n{process.stdout.read()}")
        try:
            urllib.request.urlopen(base + "/login", timeout=2)
            return process, base
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("qa-pipeline serve did not answer within 60 s")


def client_for(app, name: str | None, **options):
    """A TestClient on `app`, logged in as `name` (None: not logged in); `options` go to TestClient."""
    from fastapi.testclient import TestClient

    client = TestClient(app, follow_redirects=False, **options)
    if name:
        login(client, name, PASSWORD)
    return client


def login(client, name: str, password: str, next_path: str = "/calls"):
    form = client.get("/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    return client.post("/login", data={"name": name, "password": password, "csrf": token, "next": next_path})


def csrf_of(client, path: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).text).group(1)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
