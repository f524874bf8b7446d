"""A nightly run fanned out over two Prefect workers, on a real `prefect server`.

The deployments come from the project's own `prefect.yaml` (`prefect deploy --all`); two
process workers poll the pool; the nightly parent cuts an inbox of eight real calls into
chunks, and each chunk is its own flow run on whichever worker takes it. The second test
kills a worker and the flow run it executes with SIGKILL midway, on PostgreSQL, and checks
that the next run finishes the rest with no call lost or scored twice.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import soundfile as sf
from test_store_postgres import postgres_url  # noqa: F401  (fixture)

from _web_helpers import free_port

pytestmark = [pytest.mark.slow, pytest.mark.asr]

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CLIPS = [ROOT / "tests/data/asr/two_speakers.flac", ROOT / "tests/data/asr/interruption.flac"]
CALLS = 8


def _inbox(folder: Path, variant: int) -> Path:
    """Eight distinct recordings (two real clips at four levels) in two day folders."""
    for n in range(CALLS):
        samples, rate = sf.read(CLIPS[n % 2], dtype="float32")
        path = folder / f"2026-11-{29 + n % 2}" / f"call{n}.flac"
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, samples * (0.9 - 0.05 * (n // 2) - 0.01 * variant), rate)
    return folder


class Cluster:
    """A Prefect server, a process work pool and its workers, in a scratch PREFECT_HOME."""

    def __init__(self, home: Path):
        port = free_port()
        self.env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
                    "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'server.db'}",
                    "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_UI_ENABLED": "false",
                    "PREFECT_WORKER_QUERY_SECONDS": "1", "PREFECT_LOGGING_LEVEL": "WARNING",
                    "PWD": str(ROOT), "QA_PIPELINE_ASR_WORKERS": "1"}
        self.env.pop("PREFECT_PROFILES_PATH", None)
        self.home, self.port, self.workers = home, port, {}
        self.server = self._start("server", ["prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)])
        self._wait_healthy()
        self.cli("work-pool", "create", "qa-pipeline", "--type", "process")

    def _start(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.home / f"{name}.log", "ab")
        return subprocess.Popen([str(BIN / args[0]), *args[1:]], env=self.env, cwd=ROOT, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)

    def _wait_healthy(self, timeout_s: float = 180) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/health", timeout=2):
                    return
            except OSError:
                time.sleep(1)
        raise AssertionError((self.home / "server.log").read_text()[-3000:])

    def cli(self, *args: str, env: dict | None = None, timeout: float = 300) -> str:
        done = subprocess.run([str(BIN / "prefect"), "--no-prompt", *args], env={**self.env, **(env or {})}, cwd=ROOT,
                              capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done.stdout

    def deploy(self, inbox: Path, out: Path, store: str) -> None:
        self.cli("deploy", "--all", env={"QA_INBOX": str(inbox), "QA_OUT": str(out), "QA_PIPELINE_DB": store})

    def start_worker(self, name: str) -> None:
        self.workers[name] = self._start(name, ["prefect", "worker", "start", "--pool", "qa-pipeline",
                                                "--name", name, "--limit", "2"])

    def run_night(self, *params: str, watch: bool = True) -> str:
        """Eight calls in chunks of three: with two slots per worker, one of which may hold the
        parent, three chunks cannot all fit on one worker, so both run chunks."""
        args = ["deployment", "run", "score-calls-nightly/nightly", "--param", "chunk_size=3",
                "--param", "workers=1", *params]
        return self.cli(*args, *(["--watch", "--watch-timeout", "900"] if watch else []), timeout=960)

    def kill(self, name: str) -> None:
        """SIGKILL a worker and every flow-run process it started."""
        worker = self.workers.pop(name)
        for pid in [*_descendants(worker.pid), worker.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        worker.wait(timeout=30)

    def close(self) -> None:
        for name in list(self.workers):
            self.kill(name)
        os.killpg(self.server.pid, signal.SIGTERM)
        try:
            self.server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.server.pid, signal.SIGKILL)


def _descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if shutil.which("prefect", path=str(BIN)) is None:
        pytest.skip("prefect is not installed (extra 'flows')")
    running = Cluster(tmp_path_factory.mktemp("prefect-home"))
    running.start_worker("worker-a")
    running.start_worker("worker-b")
    yield running
    running.close()


def _claims(url: str) -> list:
    from sqlalchemy import select

    from qa_pipeline.store import open_store
    from qa_pipeline.store.schema import ClaimRow

    store = open_store(url)
    try:
        with store.transaction() as session:
            return list(session.scalars(select(ClaimRow)))
    finally:
        store.close()


def _scorecards(url: str) -> list[tuple[str, int]]:
    from sqlalchemy import select

    from qa_pipeline.store import open_store
    from qa_pipeline.store.schema import Call, ScorecardRow

    store = open_store(url)
    try:
        with store.transaction() as session:
            return list(session.execute(select(Call.content_sha256, ScorecardRow.id).join(ScorecardRow.call)))
    finally:
        store.close()


def _cards(out: Path) -> dict[str, dict]:
    return {p.relative_to(out).as_posix(): json.loads(p.read_text()) for p in sorted(out.rglob("*.json"))
            if p.name not in ("quarantine.json", "redaction_report.json")}


def _mtimes(out: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p.name != "quarantine.json"}


def test_one_night_spreads_over_both_workers_and_scores_each_call_once(cluster, tmp_path):
    inbox, out, store = _inbox(tmp_path / "inbox", 0), tmp_path / "out", f"sqlite:///{tmp_path / 'store.sqlite'}"
    cluster.deploy(inbox, out, store)
    cluster.run_night()
    claims = _claims(store)
    assert len(claims) == CALLS and {c.status for c in claims} == {"done"}
    assert {c.owner.split("/")[0] for c in claims} == {"worker-a", "worker-b"}
    assert len(_scorecards(store)) == CALLS
    cards = _cards(out)
    assert len(cards) == CALLS and {c["schema"] for c in cards.values()} == {"qa-pipeline.scorecard/1"}
    summary = json.loads(cluster.cli("artifact", "inspect", "nightly-summary", "--limit", "1", "--output", "json"))
    markdown = summary[0]["data"]
    assert "- scored: **8**" in markdown and "- quarantined: **0**" in markdown and "| said_goodbye |" in markdown
    assert "worker-a" in markdown and "worker-b" in markdown
    assert json.loads((out / "quarantine.json").read_text())["recordings"] == []
    assert json.loads((out / "redaction_report.json").read_text())["calls"] == CALLS  # merged from the chunks' parts
    assert not (out / ".redaction-parts").exists()
    before = _mtimes(out)

    cluster.run_night()  # nothing new: no chunk runs, nothing rewritten (but quarantine.json, same content)
    assert _mtimes(out) == before
    assert [c.attempts for c in _claims(store)] == [1] * CALLS
    assert len(_scorecards(store)) == CALLS


@pytest.mark.postgres
def test_a_worker_killed_midway_leaves_nothing_lost_and_nothing_twice(cluster, tmp_path, postgres_url):  # noqa: F811
    inbox, out = _inbox(tmp_path / "inbox", 1), tmp_path / "out"
    cluster.deploy(inbox, out, postgres_url)
    cluster.run_night("--param", "claim_ttl_s=20", "--param", "chunk_timeout_s=60", watch=False)
    victim = _wait_for_a_worker_midway(postgres_url)
    cluster.kill(victim)
    cluster.start_worker(f"{victim}-replacement")
    time.sleep(21)  # the dead worker's claims expire
    cluster.run_night("--param", "claim_ttl_s=20")
    claims = _claims(postgres_url)
    assert len(claims) == CALLS and {c.status for c in claims} == {"done"}
    assert any(c.attempts > 1 for c in claims), "the killed worker's call was not taken over"
    shas = [sha for sha, _ in _scorecards(postgres_url)]
    assert sorted(shas) == sorted({c.content_sha256 for c in claims})  # one scorecard per call
    assert len(_cards(out)) == CALLS


def _wait_for_a_worker_midway(url: str, timeout_s: float = 600) -> str:
    """The name of a worker holding an unfinished claim, once some call is already done."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            claims = _claims(url)
        except Exception:  # noqa: BLE001 - the store is created by the first chunk
            claims = []
        held = [c for c in claims if c.status == "claimed"]
        if held and any(c.status == "done" for c in claims):
            return held[0].owner.split("/")[0]
        time.sleep(0.5)
    raise AssertionError(f"no worker was ever midway: {[(c.relpath, c.status) for c in claims]}")
