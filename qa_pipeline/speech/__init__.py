"""From a recording to a speaker-labelled transcript.

The stages, in the order a call passes through them:

- `audio`: decode any supported file to 16 kHz float32 channels;
- `asr`: one faster-whisper pass per channel, timed words;
- `crosstalk`: drop words that are the other channel's echo;
- `speech_activity`: fit word and utterance times to each channel's own speech energy;
- `utterances`: group words into utterances and merge the channels into one `Transcript`.

Each module is importable alone; faster-whisper loads only when `asr` transcribes.
"""
