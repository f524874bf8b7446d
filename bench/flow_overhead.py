"""What the Prefect flow costs over the bare CLI, on the same calls in the same run.

Runs `qa-pipeline score` and `flows/score_calls.py` (embedded Prefect server, no
results store) over one inbox of copies of the given recordings, one after the other,
and prints calls per minute for each and the share of wall time the flow adds. The
flow's own run time (from its "Beginning flow run" to its "Finished" log line) is
shown too, which leaves out interpreter and embedded-server start-up.

    .venv/bin/python bench/flow_overhead.py                      # the ASR test clips
    .venv/bin/python bench/flow_overhead.py sample_audio --limit 4 --workers 2
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_CALLS = [ROOT / "tests" / "data" / "asr"]
AUDIO = (".wav", ".flac", ".ogg", ".mp3")
LOG_LINE = re.compile(r"^(\d\d:\d\d:\d\d\.\d+) \|.*Flow run '[^']+' - (Beginning flow run|Finished in state)")


def recordings(inputs: list[Path], limit: int | None) -> list[Path]:
    found = []
    for item in inputs:
        found += sorted(p for p in item.rglob("*") if p.suffix.lower() in AUDIO) if item.is_dir() else [item]
    return found[:limit] if limit else found


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr[-2000:]}")
    return elapsed, done.stdout + done.stderr


def flow_run_seconds(log: str) -> float | None:
    """Seconds between the flow run's first and last log lines, when both are there."""
    stamps = [datetime.strptime(m.group(1), "%H:%M:%S.%f") for m in map(LOG_LINE.match, log.splitlines()) if m]
    return (stamps[-1] - stamps[0]).total_seconds() if len(stamps) >= 2 else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", nargs="*", type=Path, default=DEFAULT_CALLS, help="recordings or folders")
    parser.add_argument("--limit", type=int, default=None, help="use at most this many recordings")
    parser.add_argument("--workers", type=int, default=1, help="calls at once, for the CLI and the flow alike")
    args = parser.parse_args()
    calls = recordings(args.inputs, args.limit)
    if not calls:
        sys.exit("no recordings found")
    with tempfile.TemporaryDirectory(prefix="flow-bench-") as tmp:
        work = Path(tmp)
        (work / "inbox").mkdir()
        for i, call in enumerate(calls):
            shutil.copyfile(call, work / "inbox" / f"{i:03d}_{call.name}")
        env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"} | {"PREFECT_HOME": str(work / "prefect")}
        cli_s, _ = timed([str(BIN / "qa-pipeline"), "score", str(work / "inbox"), "--out", str(work / "cli"), "--no-db",
                          "--workers", str(args.workers)], env)
        flow_cmd = [sys.executable, str(ROOT / "flows" / "score_calls.py"), str(work / "inbox"),
                    "--out", str(work / "flow"), "--no-db", "--workers", str(args.workers)]
        flow_s, log = timed(flow_cmd, env)
        scored = len(list((work / "flow").rglob("*.json"))) - 1  # minus quarantine.json
    run_s = flow_run_seconds(log)
    n = len(calls)
    print(f"calls: {n} ({', '.join(c.name for c in calls)}); workers: {args.workers}; flow scored {scored}")
    print(f"bare CLI   : {cli_s:7.1f} s wall  {60 * n / cli_s:6.1f} calls/min")
    print(f"Prefect flow: {flow_s:6.1f} s wall  {60 * n / flow_s:6.1f} calls/min  (embedded server, start-up included)")
    print(f"flow machinery share of flow wall time: {100 * (flow_s - cli_s) / flow_s:5.1f} %  "
          f"(ratio flow/CLI {flow_s / cli_s:.2f})")
    if run_s is not None:
        print(f"flow run alone: {run_s:6.1f} s  {60 * n / run_s:6.1f} calls/min  "
              f"(share over CLI {100 * (run_s - cli_s) / run_s:5.1f} %, ratio {run_s / cli_s:.2f})")


if __name__ == "__main__":
    main()
