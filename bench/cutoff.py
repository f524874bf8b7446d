"""How well `find_cutoff` tells a recording cut mid-conversation from a finished call.

False cut-offs: every recording given (finished calls) is transcribed (reusing
--transcripts-cache) and any call `find_cutoff` flags is listed. Detection (--cuts N): N of
them are cut at the middle word of an agent utterance of at least six words (one cut per
utterance, up to --per-call), transcribed again, and the cut-offs found are counted.

    python bench/cutoff.py sample_audio ../shared/field-cases --transcripts-cache /tmp/cache
    python bench/cutoff.py sample_audio --transcripts-cache /tmp/cache --cuts 6 --per-call 2
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from qa_pipeline.batch import discover_recordings, transcribe_cached
from qa_pipeline.criteria.cutoff import find_cutoff
from qa_pipeline.records import AGENT
from qa_pipeline.speech.asr import AsrOptions, transcribe_audio
from qa_pipeline.speech.audio import load_audio


def cut_points(transcript, per_call: int) -> list[float]:
    """Times (s) in the middle word of agent utterances of six words or more, middle ones first."""
    long = [u for u in transcript.utterances if u.speaker == AGENT and len(u.words) >= 6]
    order = sorted(long, key=lambda u: abs(u.start - transcript.duration_s / 2))
    return [(w.start + w.end) / 2 for w in (u.words[len(u.words) // 2] for u in order[:per_call])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", nargs="+")
    parser.add_argument("--transcripts-cache", type=Path)
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--cuts", type=int, default=0, help="calls to cut (the first N recordings)")
    parser.add_argument("--per-call", type=int, default=1)
    args = parser.parse_args()
    options = AsrOptions(model=args.model)
    paths = discover_recordings(args.inputs)
    transcripts = {p: transcribe_cached(p, options, args.transcripts_cache) for p in paths}
    flagged = [(p, c) for p, c in ((p, find_cutoff(t)) for p, t in transcripts.items()) if c]
    print(f"finished calls flagged as cut off: {len(flagged)} of {len(paths)}")
    for path, cutoff in flagged:
        print(f"  {path.name}: {cutoff.reason}")
    found = tried = 0
    for path in paths[: args.cuts]:
        audio = load_audio(path)
        for at in cut_points(transcripts[path], args.per_call):
            end = int(at * audio.sample_rate)
            cut = transcribe_audio(dataclasses.replace(audio, channels=tuple(c[:end] for c in audio.channels)), options)
            cutoff = find_cutoff(cut)
            tried, found = tried + 1, found + bool(cutoff)
            last = cut.utterances[-1].text if cut.utterances else ""
            print(f"  {path.name} cut at {at:.2f} s: {'found' if cutoff else 'MISSED'} (last words {last[-60:]!r})")
    if tried:
        print(f"recordings cut mid agent-turn found: {found} of {tried}")


if __name__ == "__main__":
    main()
