"""Rebuild the call-status model (models/sales_status.joblib) and measure the status on
held-out industries.

    python scripts/train_sales.py [--data data/sales] [--out models] [--json FILE]

Trains on data/sales/train/ (fixed seed: the same data and versions give the same model),
then runs the whole status stage of the sales rubric (rules and the model) on
data/sales/test/, whose industries are not in the training split, and prints the
per-status table. The held-out figures go into the model's card.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa_pipeline.rubric import load_rubric  # noqa: E402
from qa_pipeline.sales.config import sales_config  # noqa: E402
from qa_pipeline.sales.data import load_calls  # noqa: E402
from qa_pipeline.sales.training import format_rows, measure, train_status_model  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "sales")
    parser.add_argument("--out", type=Path, default=ROOT / "models")
    parser.add_argument("--json", type=Path, default=None, help="write the per-call records here")
    args = parser.parse_args(argv)
    rubric = load_rubric("sales")
    config = sales_config(rubric)
    assert config is not None  # the bundled sales rubric has its sales section
    labels = config.labels
    train, test = load_calls(args.data / "train"), load_calls(args.data / "test")
    shared = {c.industry for c in train} & {c.industry for c in test}
    if shared:
        print(f"error: industries in both splits: {sorted(shared)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as scratch:  # measure the model before it replaces the shipped one
        train_status_model(train, labels, scratch)
        rows, records = measure(test, rubric, scratch)
    overall = rows[-1]
    evaluation = {"method": "trained on the train split's industries, tested on the test split's",
                  "test_industries": sorted({c.industry for c in test}), "calls": overall.calls,
                  "agreement": round(overall.agreement, 4), "unknown": round(overall.unknown, 4),
                  "per_status": {r.status: {"calls": r.calls, "agreement": round(r.agreement, 4),
                                            "unknown": round(r.unknown, 4)} for r in rows[:-1]}}
    train_status_model(train, labels, args.out, evaluation=evaluation)
    print(f"trained on {len(train)} calls ({', '.join(sorted({c.industry for c in train}))}); "
          f"held out {len(test)} calls ({', '.join(evaluation['test_industries'])})")
    print(format_rows(rows))
    contacts = [r for r in records if r["next_contact_expected"]]
    if contacts:
        right = sum(r["next_contact_expected"] == r["next_contact_got"] for r in contacts)
        print(f"next contact date: {right}/{len(contacts)} calls with a labelled date agree")
    for r in records:
        if r["expected"] != r["got"] or r["next_contact_expected"] != r["next_contact_got"]:
            print(f"  {r['id']}: status expected {r['expected']} got {r['got']} ({r['confidence']:.2f}; "
                  f"rules {r['rules']}, model {r['model']}); next contact expected "
                  f"{r['next_contact_expected']} got {r['next_contact_got']}")
    if args.json:
        args.json.write_text(json.dumps(records, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
