"""Peak memory of a command and every process it starts (diarization's worker processes
included), sampled from /proc: the peak of their summed RSS, and each one's own peak.

    python bench/tree_memory.py -- qa-pipeline score CALLS --out /tmp/out --no-db --workers 2
    python bench/tree_memory.py --timeline rss.txt --every 1 -- python bench/pipeline.py --memory-only

`--timeline` writes one line per sample (seconds since the start, summed MB, each process's
MB): where in a run the peak comes (decoding, transcription, the redacted copy).

`ru_maxrss` (what /usr/bin/time prints) is the largest single process, not the sum of
processes alive at once, so it under-counts a run with worker processes. Linux only.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


def tree(root: int) -> list[int]:
    """`root` and its descendants, from /proc/*/stat."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending += parents.get(pid, [])
    return found


def rss_mb(pid: int) -> float:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 2**20
    except (OSError, IndexError):
        return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    parser.add_argument("--every", type=float, default=0.2, help="seconds between samples")
    parser.add_argument("--timeline", type=Path, help="write every sample to this file")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    start = time.perf_counter()
    process = subprocess.Popen(command)
    peak_sum, peaks = 0.0, {}
    timeline = args.timeline.open("w") if args.timeline else None
    while process.poll() is None:
        sizes = {pid: rss_mb(pid) for pid in tree(process.pid)}
        peak_sum = max(peak_sum, sum(sizes.values()))
        if timeline:
            timeline.write(f"{time.perf_counter() - start:.1f} {sum(sizes.values()):.0f} "
                           + " ".join(f"{pid}:{mb:.0f}" for pid, mb in sizes.items()) + "\n")
            timeline.flush()
        for pid, size in sizes.items():
            peaks[pid] = max(peaks.get(pid, 0.0), size)
        time.sleep(args.every)
    print(f"exit {process.returncode}; wall {time.perf_counter() - start:.1f} s; peak summed RSS {peak_sum:.0f} MB; "
          f"per process: " + ", ".join(f"{pid} {mb:.0f} MB" for pid, mb in sorted(peaks.items(), key=lambda kv: -kv[1])))


if __name__ == "__main__":
    main()
