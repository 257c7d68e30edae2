"""Reads a voice reply (Twilio's TwiML, Africa's Talking's voice XML) as a phone would hear it.

The result is one `VoiceStep`: the prompts in the order they are spoken (each with its
text, and the audio to play when the reply plays audio), what the call waits for (a key,
a number ended by `#`, a recording, or nothing: the call ends), and where the answer goes.
Audio is named by URL only; its words are found again from the URL: a person's recording
of a prompt is `/audio/recorded/<lang>/<key>.<ext>`, a piece made by prompts-synth
`/audio/synth/<lang>/<prompts|words|names>/...` (FACTS.md, voice_prompts/synth.py).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from gateway.simulator.webhooks import path_of
from voice_prompts import Text, default_catalog
from voice_prompts.speech import Piece, SpeechRenderer

RECORDED = re.compile(r"/audio/recorded/(?P<lang>[a-z]+)/(?P<key>[\w.]+)\.(?:mp3|wav)$")
SYNTH_PROMPT = re.compile(
    r"/audio/synth/(?P<lang>[a-z]+)/prompts/(?P<key>[\w.]+)\.(?P<i>\d+)\.wav$"
)
SYNTH_WORD = re.compile(r"/audio/synth/[a-z]+/(?:words|names)/(?P<slug>[a-z0-9-]+)\.wav$")


@dataclass(frozen=True)
class Prompt:
    """One thing the caller hears: its words, and the audio the reply plays (if any)."""

    text: str
    audio: tuple[str, ...] = ()  # URL paths on the gateway, in order
    lang: str = ""  # a spoken prompt's language ("id", "en"), when the reply names it


@dataclass(frozen=True)
class VoiceStep:
    """A voice reply, read: what is said, and what the call waits for."""

    prompts: tuple[Prompt, ...]
    listen: str | None = None  # "key", "number" (ended by #), "recording"; None: call ends
    action: str | None = None  # where the keys (or the recording) are posted
    on_silence: str | None = None  # where the call goes when nothing is pressed
    transfer_to: str | None = None  # a number the call is put through to
    rejected: bool = False

    @property
    def ended(self) -> bool:
        return self.listen is None and self.on_silence is None


@dataclass
class _Reading:
    prompts: list[Prompt] = field(default_factory=list)
    pieces: list[str] = field(default_factory=list)
    audio: list[str] = field(default_factory=list)

    def say(self, text: str, language: str) -> None:
        self.flush()
        self.prompts.append(Prompt(" ".join(text.split()), lang=language.split("-")[0]))

    def play(self, url: str) -> None:
        path = path_of(url)
        words, starts = words_of_audio(path)
        if starts:
            self.flush()
        self.pieces.append(words)
        self.audio.append(path)

    def flush(self) -> None:
        if self.audio:
            self.prompts.append(Prompt(" ".join(p for p in self.pieces if p), tuple(self.audio)))
        self.pieces, self.audio = [], []


def words_of_audio(path: str) -> tuple[str, bool]:
    """The words an audio URL says, and whether they begin a prompt of their own."""
    catalog = default_catalog()
    if match := RECORDED.search(path):
        return catalog.render(Text.of(match["key"]), match["lang"]), True
    if match := SYNTH_PROMPT.search(path):
        speaker = SpeechRenderer(catalog, match["lang"])
        piece = Piece("prompt", match["key"], int(match["i"]))
        first = speaker.parts(match["key"])[0][0] == piece
        return speaker.literal(piece), first
    if match := SYNTH_WORD.search(path):
        return match["slug"].replace("-", " "), False
    return "", True


def read_twiml(xml: str) -> VoiceStep:
    """A TwiML reply, read."""
    root = ET.fromstring(xml)
    reading, step = _Reading(), {}
    for verb in root:
        if verb.tag in ("Say", "Play"):
            _speak(reading, verb)
        elif verb.tag == "Gather":
            for inner in verb:
                _speak(reading, inner)
            number = verb.get("finishOnKey") == "#"
            step.update(listen="number" if number else "key", action=verb.get("action"))
        elif verb.tag == "Record":
            step.update(listen="recording", action=verb.get("action"))
        elif verb.tag == "Redirect":
            step["on_silence"] = verb.text
        elif verb.tag == "Dial":
            step["transfer_to"] = (verb.text or "").strip()
        elif verb.tag == "Reject":
            step["rejected"] = True
    return _step(reading, step)


def read_africastalking(xml: str) -> VoiceStep:
    """An Africa's Talking voice XML reply, read."""
    root = ET.fromstring(xml)
    reading, step = _Reading(), {}
    for action in root:
        if action.tag in ("Say", "Play"):
            _speak(reading, action)
        elif action.tag in ("GetDigits", "Record"):
            for inner in action:
                _speak(reading, inner)
            listen = "recording" if action.tag == "Record" else "key"
            if action.tag == "GetDigits" and action.get("finishOnKey") == "#":
                listen = "number"
            step.update(listen=listen, action=action.get("callbackUrl"))
        elif action.tag == "Redirect":
            step["on_silence"] = action.text
        elif action.tag == "Dial":
            step["transfer_to"] = action.get("phoneNumbers", "")
        elif action.tag == "Reject":
            step["rejected"] = True
    return _step(reading, step)


def _speak(reading: _Reading, element: ET.Element) -> None:
    if element.tag == "Say":
        reading.say(element.text or "", element.get("language", ""))
    elif element.tag == "Play":
        reading.play(element.get("url") or (element.text or "").strip())


def _step(reading: _Reading, step: dict) -> VoiceStep:
    reading.flush()
    for name in ("action", "on_silence"):
        if step.get(name):
            step[name] = path_of(step[name].strip())
    return VoiceStep(prompts=tuple(reading.prompts), **step)


READERS = {"twilio": read_twiml, "africastalking": read_africastalking}
