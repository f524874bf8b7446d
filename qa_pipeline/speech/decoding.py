"""Whisper's words for one channel: the decoding settings, long channels in pieces, word spans.

`transcribe_channel` is what every transcription goes through (stereo channels, a mono
mix, the bench's bare comparison reads `decoding_settings`); `qa_pipeline.speech.asr`
decides which channels to transcribe and what to do with the words.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qa_pipeline.records import SAMPLE_RATE, Word

# A word shorter than this was not really aligned by Whisper (see `segment_words`).
MIN_ALIGNED_WORD_S = 0.05
# A channel longer than this is transcribed in pieces of about this length, so the memory
# one transcription takes is bounded whatever the recording's length. Each cut is put at
# the quietest quarter second of the last `CUT_SEARCH_S` before the nominal boundary.
# faster-whisper holds about 1 MB per second of a piece while transcribing it (features,
# VAD); two channels at once on 300 s pieces peaked about 600 MB over the model on a
# 10-minute call, so pieces are 150 s. Calls up to 170 s (every sample call) stay one
# piece, so their transcripts are as before.
PIECE_S = 150.0
CUT_SEARCH_S = 20.0
_CUT_FRAME_S = 0.25
# A stretch left undecoded (`compacted`) becomes this much silence: an ordinary pause
# between turns, and under Silero VAD's 500 ms minimum silence, so the speech either
# side stays one VAD chunk and Whisper times the words at its edges as before.
LEAK_GAP_S = 0.4


@dataclass(frozen=True)
class ChannelWords:
    """One channel's words, and where decoding stopped when its time limit ran out (None: it did not)."""

    words: tuple[Word, ...]
    stopped_at_s: float | None = None


def transcribe_channel(model, samples: np.ndarray, options, hotwords: str | None = None,
                       silent: Sequence[tuple[float, float]] = ()) -> tuple[Word, ...]:
    """Whisper's timed words for one 16 kHz channel, transcribed piece by piece (see `piece_bounds`).

    `hotwords` (names, terms) are given to Whisper as hints for every 30 s window.
    `silent` are (start, end) seconds of `samples` Whisper does not hear (the other party's
    leak, `crosstalk.leak_spans`): each is cut out, leaving a short pause (`compacted`),
    and the words' times are put back onto `samples`.
    """
    return transcribe_channel_bounded(model, samples, options, hotwords, silent).words


def transcribe_channel_bounded(model, samples: np.ndarray, options, hotwords: str | None = None,
                               silent: Sequence[tuple[float, float]] = ()) -> ChannelWords:
    """`transcribe_channel`, stopped once decoding has taken `options.time_limit_s` (when set).

    faster-whisper decodes one 30 s window at a time as its segments are read, so the bound
    holds to within one window's decoding. Whisper base can take 4x real time on audio it
    cannot follow (repeating a phrase until the token limit in each window); the limit keeps
    such a call from holding a worker, and the words up to the stop are kept.
    """
    limit = getattr(options, "time_limit_s", None)
    deadline = None if limit is None else time.monotonic() + limit
    words: list[Word] = []
    for start, end in piece_bounds(samples, options.piece_s):
        offset = start / SAMPLE_RATE
        piece, stopped = _transcribe_piece(model, samples[start:end], options, hotwords, deadline,
                                           compacted(samples[start:end], silent, offset) if silent else None)
        words += piece if start == 0 else [_shifted(w, offset) for w in piece]
        if stopped is not None:
            return ChannelWords(tuple(words), round(offset + stopped, 1))
    return ChannelWords(tuple(words))


def piece_bounds(samples: np.ndarray, piece_s: float = PIECE_S, rate: int = SAMPLE_RATE) -> list[tuple[int, int]]:
    """(start, end) sample indices of the pieces a channel is transcribed in, covering it once.

    A channel up to `piece_s` + 20 s is one piece. A longer one is cut about every
    `piece_s` seconds, each cut in the middle of the quietest 0.25 s frame of the 20 s
    before the nominal boundary, where no word is likely to be split.
    """
    piece, search, frame = int(piece_s * rate), int(CUT_SEARCH_S * rate), int(_CUT_FRAME_S * rate)
    bounds, start = [], 0
    while len(samples) - start > piece + search:
        window = samples[start + piece - search : start + piece]
        energy = np.square(window[: len(window) // frame * frame].reshape(-1, frame), dtype=np.float64).sum(axis=1)
        cut = start + piece - search + int(np.argmin(energy)) * frame + frame // 2
        bounds.append((start, cut))
        start = cut
    bounds.append((start, len(samples)))
    return bounds


@dataclass(frozen=True)
class Compacted:
    """A piece with stretches cut out, each replaced by `LEAK_GAP_S` of silence.

    `regions` are (compact start, original start, original end) sample indices of the
    kept stretches, in order; each but the last ends with `crosstalk.LEAK_PAD_S` of no speech of the
    channel's own speaker (`crosstalk.leak_spans` keeps that clear of it).
    """

    samples: np.ndarray
    regions: tuple[tuple[int, int, int], ...]

    def region_of(self, start_s: float, end_s: float) -> int:
        """The kept stretch a span of the compacted audio (seconds) belongs to: the first before
        whose successor's audio it ends. A span that ends in a stretch's speechless tail or in
        the silence after it holds none of the next stretch's sound, though Whisper often times
        a turn's last word late, into the pause; a span that reaches into the next stretch's
        audio is that stretch's (Whisper stretches the first word after a pause back over the
        silence before it)."""
        last = end_s * SAMPLE_RATE
        return next((i for i, (c, _, _) in enumerate(self.regions[1:]) if last <= c), len(self.regions) - 1)

    def original_s(self, start_s: float, end_s: float, region: int | None = None) -> tuple[float, float]:
        """Where a span of the compacted audio (seconds) lies in the piece (seconds): in its
        `region` (default `region_of`), clipped to that stretch."""
        c, o, e = self.regions[self.region_of(start_s, end_s) if region is None else region]
        start, end = (round(min(max(o + t * SAMPLE_RATE - c, o), e) / SAMPLE_RATE, 3) for t in (start_s, end_s))
        return start, end

    def moved(self, words: Sequence[Word]) -> list[Word]:
        """`words` (in Whisper's order) with their times put back onto the piece.

        Each goes to its `region_of`, except a word that ends a sentence (".", "?", "!")
        right after a word of the stretch before, starting before the next stretch's audio:
        it finishes that sentence ("How can I help" + "you?"), however late Whisper timed it.
        """
        out: list[Word] = []
        before: tuple[int, Word] | None = None
        for word in words:
            region = self.region_of(word.start, word.end)
            if before is not None and region > before[0] and _ends_sentence(word) and not _ends_sentence(before[1]) \
                    and word.start * SAMPLE_RATE < self.regions[before[0] + 1][0]:
                region = before[0]
            start, end = self.original_s(word.start, word.end, region)
            out.append(dataclasses.replace(word, start=start, end=end))
            before = (region, word)
        return out


def _ends_sentence(word: Word) -> bool:
    return word.text.rstrip().endswith((".", "?", "!"))


def compacted(piece: np.ndarray, spans: Sequence[tuple[float, float]], offset_s: float = 0.0) -> Compacted:
    """`piece` (16 kHz, starting `offset_s` into its channel) without the `spans` (channel seconds).

    Each span longer than `LEAK_GAP_S` becomes that much silence: Whisper hears the
    stretches either side of it as separated by an ordinary pause, not run together.
    """
    gap = int(LEAK_GAP_S * SAMPLE_RATE)
    parts, regions, kept, at = [], [], 0, 0
    for start_s, end_s in spans:
        first = max(at, int(round((start_s - offset_s) * SAMPLE_RATE)))
        last = min(len(piece), int(round((end_s - offset_s) * SAMPLE_RATE)))
        if last - first <= gap:
            continue
        if first > at:
            regions.append((kept, at, first))
            parts.append(piece[at:first])
            kept += first - at
        if regions and last < len(piece):
            parts.append(np.zeros(gap, dtype=piece.dtype))
            kept += gap
        at = last
    if at < len(piece):
        regions.append((kept, at, len(piece)))
        parts.append(piece[at:])
    samples = np.concatenate(parts) if parts else piece[:0]
    return Compacted(samples, tuple(regions) or ((0, 0, 0),))


def _shifted(word: Word, offset_s: float) -> Word:
    return dataclasses.replace(word, start=round(word.start + offset_s, 3), end=round(word.end + offset_s, 3))


def _transcribe_piece(model, samples: np.ndarray, options, hotwords: str | None,
                      deadline: float | None = None, cut: Compacted | None = None) -> tuple[list[Word], float | None]:
    """Whisper's timed words for one stretch of 16 kHz audio, and where it stopped at `deadline` (else None).

    With `cut`, Whisper hears `cut.samples` instead, and the times are put back onto `samples`.
    """
    if cut is not None and not len(cut.samples):
        return [], None
    segments, _ = model.transcribe(samples if cut is None else cut.samples, **decoding_settings(options, hotwords))
    words: list[Word] = []
    for segment in segments:
        heard = segment_words(segment.words or ())
        words += heard if cut is None else cut.moved(heard)
        if deadline is not None and time.monotonic() > deadline:
            end = float(segment.end)
            return words, end if cut is None else cut.original_s(end, end)[1]
    return words, None


def decoding_settings(options, hotwords: str | None = None) -> dict:
    """The keyword arguments of `WhisperModel.transcribe` the pipeline uses: settings that curb hallucination.

    One temperature (`options.temperature`, 0 by default), so the same audio gives the
    same words: faster-whisper's default falls back to sampling at 0.2 ... 1.0 when a
    window's text repeats or is unlikely (the two thresholds below), and its sampling
    has no per-call seed (CTranslate2's `set_random_seed` is process-wide, and the
    calls of a batch share the process). With one temperature a window that fails the
    thresholds keeps its beam-search text, or is dropped as silence by `no_speech_threshold`.
    """
    return {
        "language": whisper_language(options.language),
        "beam_size": options.beam_size,
        "temperature": options.temperature,
        "word_timestamps": True,
        # Conditioning on earlier text lets one misheard phrase repeat through a call.
        "condition_on_previous_text": False,
        "vad_filter": True,
        "vad_parameters": {
            "threshold": options.vad_threshold,
            "min_silence_duration_ms": options.vad_min_silence_ms,
            "speech_pad_ms": options.vad_speech_pad_ms,
            "min_speech_duration_ms": options.vad_min_speech_ms,
        },
        "no_speech_threshold": 0.6,
        "log_prob_threshold": -1.0,
        "compression_ratio_threshold": 2.4,
        **({"hotwords": hotwords} if hotwords else {}),
    }


def whisper_language(code: str) -> str:
    """Whisper's code for one of the project's languages (`qa_pipeline.languages`)."""
    from qa_pipeline.languages import language

    return language(code).whisper_code


def segment_words(timed) -> list[Word]:
    """Whisper's words of one segment as `Word`s, with unaligned words given a span.

    Whisper gives a word it could not align (almost) no duration, often well after the
    word before it (the last word of a segment most of all). Such a word is stretched
    back to where the previous word ended, so it does not look like a separate remark.
    """
    words: list[Word] = []
    for w in timed:
        text = w.word.strip()
        if not text:
            continue
        start, end = round(float(w.start), 3), round(float(w.end), 3)
        if words and end - start < MIN_ALIGNED_WORD_S:
            start = min(start, words[-1].end)
        words.append(Word(text, start, end, round(float(w.probability), 4)))
    return words
