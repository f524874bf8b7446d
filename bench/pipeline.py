"""The pipeline's speed, stage costs and memory, against bare faster-whisper, in one run.

Prints, for each --model:
  pipeline   call-seconds per wall-second of scoring the calls (`score_one` on a thread
             pool of --workers, as `qa-pipeline score` does; model loaded and warmed first)
  bare       (first model; --bare-all for each) WhisperModel.transcribe alone on the same
             (already decoded) channels, at its best setting in issue 11's table: one
             transcription per core at once on one model, one CTranslate2 thread each
             (--bare-workers changes it):
             "same work" = the pipeline's decoding settings (beam 5, Silero VAD, word
             timestamps, no conditioning on earlier text) on whole channels;
             "beam 1" = the fastest setting of issue 11's table
  ratio      pipeline / bare
then the wall time of each stage per call (from `qa_pipeline.profiling`, measured in the
pipeline run itself) and the share of everything that is not ASR, and, in child
processes: the peak memory of scoring one long stereo call (sample calls concatenated to
--long-minutes), and the memory after 10 and after --memory-calls calls in one process.

    python bench/pipeline.py                          # sample_audio/, tiny.en, all cores
    python bench/pipeline.py --models tiny.en,base    # both presets, one run
    python bench/pipeline.py sample_audio/C0*.flac --skip-memory
    # a setting off and on, interleaved, one run (a model's ":field=value" sets an AsrOptions field)
    python bench/pipeline.py --models base:skip_leak=false,base --rounds 2 --skip-bare --skip-memory

Speeds on a shared machine move with its load: compare numbers from one run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from _common import AUDIO_SUFFIXES, bare_transcribe_all, current_rss_mb, default_recordings, whole_channels  # noqa: E402

# The pipeline's steps (`pipeline.STEPS`) hold what their nested stages do not count.
STAGE_ORDER = ("identify", "transcribe", "decode", "channel checks", "asr", "crosstalk", "utterances", "time fitting",
               "prosody", "roles", "diarization", "score", "text wait", "nlp", "criteria", "classifiers", "redact",
               "write")


def pipeline_run(paths: list[Path], options, workers: int, out: Path):
    """Score the calls as `score_paths` does, recording each call's stage times on its thread."""
    from qa_pipeline.batch import output_stems
    from qa_pipeline.concurrency import ordered_map
    from qa_pipeline.pipeline import CallPipeline, CallSource, PipelineSettings
    from qa_pipeline.profiling import recording_stages
    from qa_pipeline.rubric import load_rubric

    pipeline, stems = CallPipeline(PipelineSettings(load_rubric("etiquette"), options)), output_stems(paths)

    def one(path: Path):
        with recording_stages() as times:
            started = time.perf_counter()
            outcome = pipeline.run_safely(CallSource(path, stems[path]), out)
            times["total"] = time.perf_counter() - started
        return outcome, dict(times)

    started = time.perf_counter()
    results = list(ordered_map(one, paths, workers))
    return results, time.perf_counter() - started


def print_stages(paths: list[Path], results, durations: dict[Path, float]) -> None:
    print(f"\nstage wall time per call, seconds (measured in the pipeline run, {len(paths)} calls)")
    names = [s for s in STAGE_ORDER if any(s in t for _, t in results)]
    print(f"{'call':<10}{'audio s':>8}" + "".join(f"{n[:12]:>13}" for n in names) + f"{'total':>8}")
    sums = dict.fromkeys([*names, "total"], 0.0)
    for path, (_, times) in zip(paths, results):
        row = "".join(f"{times.get(n, 0.0):>13.3f}" for n in names)
        print(f"{path.stem:<10}{durations[path]:>8.1f}{row}{times['total']:>8.2f}")
        for n in sums:
            sums[n] += times.get(n, 0.0)
    print(f"{'all':<10}{sum(durations.values()):>8.1f}" + "".join(f"{sums[n]:>13.2f}" for n in names)
          + f"{sums['total']:>8.2f}")
    print("share     " + " " * 8 + "".join(f"{100 * sums[n] / sums['total']:>12.1f}%" for n in names))
    other = sums["total"] - sum(sums[n] for n in names)
    not_asr = sums["total"] - sums.get("asr", 0.0)
    print(f"not ASR: {100 * not_asr / sums['total']:.1f} % of call wall time "
          f"(unattributed {100 * other / sums['total']:.1f} %; target < 10 %)")


def asr_options(spec: str):
    """`AsrOptions` from "model[:field=value]" (value read as JSON, else as text): "base:skip_leak=false"."""
    from qa_pipeline.speech.asr import AsrOptions

    name, _, setting = spec.partition(":")
    if not setting:
        return AsrOptions(model=name)
    field, _, text = setting.partition("=")
    try:
        value = json.loads(text)
    except ValueError:
        value = text
    return AsrOptions(model=name, **{field: value})


def model_speed(paths, audio, name: str, workers: int, out: Path, bare_workers: int):
    from qa_pipeline.concurrency import with_workers
    from qa_pipeline.pipeline import CallPipeline, CallSource, PipelineSettings
    from qa_pipeline.rubric import load_rubric
    from qa_pipeline.speech.asr import load_model

    options = with_workers(asr_options(name), workers)
    load_model(options)
    # Warm-up: loading spaCy and the classifiers and first-call set-up are not speed.
    CallPipeline(PipelineSettings(load_rubric("etiquette"), options)).run_safely(CallSource(paths[0], "warm-up"),
                                                                                out / "warm-up")
    seconds = sum(a.duration_s for a in audio.values())
    cpu = time.process_time()  # every thread of this process: on a loaded machine it moves less than wall time
    results, wall = pipeline_run(paths, options, workers, out)
    cpu = time.process_time() - cpu
    failed = [r[0] for r in results if not hasattr(r[0], "card")]
    row = {"model": name, "pipeline": seconds / wall, "seconds": seconds, "wall": wall, "cpu": cpu,
           "failed": len(failed)}
    if bare_workers:
        bare_options = with_workers(asr_options(name), bare_workers)
        model = load_model(bare_options)
        for label, beam in (("bare same work", 5), ("bare beam 1", 1)):
            started = time.perf_counter()
            bare_transcribe_all(model, list(audio.values()), bare_workers, bare_options, beam)
            row[label] = seconds / (time.perf_counter() - started)
    return row, results


def print_row(r: dict) -> None:
    same, beam1 = r.get("bare same work"), r.get("bare beam 1")
    fmt = lambda v, digits=1: f"{v:.{digits}f}" if v else "-"  # noqa: E731
    print(f"{r['model']:<22}{r['pipeline']:>10.1f}{fmt(same):>16}{fmt(beam1):>13}"
          f"{fmt(same and r['pipeline'] / same, 2):>8}{fmt(beam1 and r['pipeline'] / beam1, 2):>10}"
          + f"   {r['cpu'] / r['seconds']:.3f} CPU-s per call-s" + (f"   {r['failed']} failed" if r["failed"] else ""),
          flush=True)


def print_totals(rows: list[dict]) -> None:
    """Each model's speed over all rounds (call-seconds per wall-second, and per CPU-second of the
    bench process), and its ratio to the first model's."""
    names = list(dict.fromkeys(r["model"] for r in rows))
    total = lambda n, key: sum(r[key] for r in rows if r["model"] == n)  # noqa: E731
    wall = {n: total(n, "seconds") / total(n, "wall") for n in names}
    cpu = {n: total(n, "seconds") / total(n, "cpu") for n in names}
    print(f"\nover {len(rows) // len(names)} rounds:")
    for n in names:
        print(f"{n:<24}{wall[n]:>8.2f} call-s per wall-s ({wall[n] / wall[names[0]]:.3f} x {names[0]}),"
              f"{cpu[n]:>8.2f} call-s per CPU-s ({cpu[n] / cpu[names[0]]:.3f} x)")


def child(code: str, *args: str) -> dict:
    """Run bench code in a fresh interpreter; the JSON line it prints last."""
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    if done.returncode != 0:
        sys.exit(f"memory child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def memory(paths: list[Path], minutes: float, calls: int, workers: int, tmp: Path) -> None:
    from _common import LONG_CALL_CHILD, MANY_CALLS_CHILD, make_long_call

    long_call = make_long_call(paths, minutes, tmp / "long_call.flac")
    result = child(LONG_CALL_CHILD, str(long_call), str(workers))
    print(f"\nmemory: one {result['duration_s'] / 60:.1f}-minute stereo call scored in a fresh process: "
          f"peak RSS {result['peak_mb']:.0f} MB (target < 1024 MB); wall {result['wall_s']:.1f} s")
    shortest = min(paths, key=lambda p: p.stat().st_size)
    result = child(MANY_CALLS_CHILD, str(shortest), str(workers), str(calls))
    growth = 100 * (result["rss_last"] - result["rss_10"]) / result["rss_10"]
    print(f"memory: {shortest.name} scored {calls} times in one process: RSS after 10 calls "
          f"{result['rss_10']:.0f} MB, after {calls} {result['rss_last']:.0f} MB ({growth:+.1f} %; target within 10 %)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("recordings", nargs="*", type=Path)
    parser.add_argument("--models", default="tiny.en", help="comma-separated presets or folders, each optionally "
                        "with one AsrOptions setting, model:field=value (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=1, help="run the --models list this many times, interleaved, "
                        "and sum each one's speed over the rounds (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=None, help="default: one per core")
    parser.add_argument("--skip-bare", action="store_true")
    parser.add_argument("--bare-workers", type=int, default=None, help="transcriptions at once for bare (default: one per core)")
    parser.add_argument("--bare-all", action="store_true", help="bare faster-whisper for every model, not the first only")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--memory-only", action="store_true", help="only the memory of a long call and of many calls")
    parser.add_argument("--long-minutes", type=float, default=30.0)
    parser.add_argument("--memory-calls", type=int, default=100)
    args = parser.parse_args()

    from qa_pipeline.concurrency import available_cores, default_workers
    from qa_pipeline.speech.audio import load_audio

    paths = [p for p in (args.recordings or default_recordings()) if p.suffix.lower() in AUDIO_SUFFIXES]
    workers = args.workers or default_workers()
    audio = {p: whole_channels(load_audio(p)) for p in paths}
    durations = {p: a.duration_s for p, a in audio.items()}
    print(f"{len(paths)} calls, {sum(durations.values()):.0f} s of audio; {available_cores()} cores, "
          f"{workers} workers; one run, so the ratios compare like with like")
    first = None
    if args.memory_only:
        with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
            return memory(paths, args.long_minutes, args.memory_calls, workers, Path(tmp))
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
        print(f"\n{'model':<22}{'pipeline':>10}{'bare same work':>16}{'bare beam 1':>13}{'ratio':>8}{'ratio b1':>10}"
              "   (call-seconds per wall-second)", flush=True)
        rows = []
        for round_ in range(args.rounds):
            for index, name in enumerate(args.models.split(",")):
                bare = not args.skip_bare and round_ == 0 and (index == 0 or args.bare_all)
                bare_workers = (args.bare_workers or available_cores()) if bare else 0
                row, results = model_speed(paths, audio, name, workers, Path(tmp) / f"{round_}-{index}", bare_workers)
                print_row(row)
                rows.append(row)
                first = first or results
        if args.rounds > 1:
            print_totals(rows)
        del audio
        print_stages(paths, first, durations)
        if not args.skip_memory:
            memory(paths, args.long_minutes, args.memory_calls, workers, Path(tmp))
    print(f"\nbench process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB, "
          f"now {current_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
