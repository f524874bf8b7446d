"""Do verdicts survive redaction? Score each cached transcript raw and redacted and compare.

    PYTHONPATH=$PWD python bench/redaction_verdicts.py CACHE_DIR [--rubric etiquette]

Prints, per transcript, the criteria whose verdict changed (none expected), and every
utterance the redactor changed, so over-redaction on ordinary calls can be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("cache", type=Path)
    parser.add_argument("--rubric", default="etiquette")
    args = parser.parse_args(argv)

    from qa_pipeline.contract import transcript_from_dict
    from qa_pipeline.pipeline import score_transcript_with_models as score_call
    from qa_pipeline.records import CallMetadata
    from qa_pipeline.redaction import redactor
    from qa_pipeline.rubric import load_rubric

    rubric = load_rubric(args.rubric)
    files = sorted(args.cache.glob("*.json"))
    changed_calls = changed_lines = total_lines = 0
    for path in files:
        raw = transcript_from_dict(json.loads(path.read_text()))
        red = redactor().redact_transcript(raw).transcript
        meta = CallMetadata(path.stem[:12])
        before = {c.id: c.verdict for c in score_call(raw, rubric, meta, path.name).criteria}
        after = {c.id: c.verdict for c in score_call(red, rubric, meta, path.name).criteria}
        diff = {k: (before[k], after.get(k)) for k in before if before[k] != after.get(k)}
        changed_calls += bool(diff)
        for u, v in zip(raw.utterances, red.utterances):
            total_lines += 1
            if u.text != v.text:
                changed_lines += 1
                print(f"{path.name[:12]}  {u.speaker:<8} {u.text!r}\n{'':22}-> {v.text!r}")
        if diff:
            print(f"{path.name[:12]}  VERDICTS CHANGED: {diff}")
    print(f"{len(files)} transcripts: verdicts changed in {changed_calls}; "
          f"{changed_lines} of {total_lines} utterances redacted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
