"""Render the outbound sales sample calls (scripts/calls/sales/ -> sample_audio_sales/).

    python scripts/make_sales_calls.py [--only S01 ...]

Renders with the sample-call synthesizer (`scripts/make_sample_calls.py`), then adds what
the sales rubric is measured against: each call's expected sales status and next contact
date (the script's `sales:` mapping) in manifest.json, and the `direction` column
(outbound) in metadata.csv, so that scoring reads the direction from metadata.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

import make_sample_calls  # noqa: E402
import yaml  # noqa: E402

SCRIPTS = ROOT / "scripts" / "calls" / "sales"
OUT = ROOT / "sample_audio_sales"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None, help="call ids to re-render")
    parser.add_argument("--labels-only", action="store_true", help="rewrite the labels, render nothing")
    args = parser.parse_args(argv)
    code = make_sample_calls.main(["--scripts", str(SCRIPTS), "--out", str(OUT),
                                   *(["--labels-only"] if args.labels_only else []),
                                   *(["--only", *args.only] if args.only else [])])
    if code == 0:
        add_sales_labels(SCRIPTS, OUT)
    return code


def add_sales_labels(scripts: Path, out: Path) -> None:
    """manifest.json gains each call's `sales` labels; metadata.csv a `direction` column."""
    labels = {}
    for path in sorted(scripts.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        labels[data["call_id"]] = (data["sales"], data.get("direction", "inbound"))
    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    for call in manifest["calls"]:
        call["sales"] = labels[call["call_id"]][0]
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    with (out / "metadata.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "call_id", "agent_id", "call_time", "customer_name", "direction"])
        for call in manifest["calls"]:
            writer.writerow([call["file"], call["call_id"], call["agent_id"], call["call_time"], "",
                             labels[call["call_id"]][1]])


if __name__ == "__main__":
    sys.exit(main())
