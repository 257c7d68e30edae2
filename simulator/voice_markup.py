"""Reads a voice reply (Twilio's TwiML, Africa's Talking's voice XML) as a phone would hear it.

The result is one `VoiceStep`: the prompts in the order they are spoken (each with its
text, and the audio to play when the reply plays audio), what the call waits for (a key,
a number ended by `#`, a recording, or nothing: the call ends), and where the answer goes.
Audio is named by URL only; its words are found again from the URL: a person's recording
of a prompt is `/audio/recorded/<lang>/<key>.<ext>`, a piece made by prompts-synth
`/audio/synth/<lang>/<prompts|words|names>/...` (docs/RULES.md, voice_prompts/synth.py).
"""

from __future__ import annotations

import re
import string
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from simulator.webhooks import path_of
from voice_prompts import Text, default_catalog

RECORDED = re.compile(r"/audio/recorded/(?P<lang>[a-z]+)/(?P<key>[\w.]+)\.(?:mp3|wav)$")
SYNTH_PROMPT = re.compile(
    r"/audio/synth/(?P<lang>[a-z]+)/prompts/(?P<key>[\w.]+)\.(?P<i>\d+)\.wav$"
)
SYNTH_WORD = re.compile(r"/audio/synth/[a-z]+/(?P<folder>words|names)/(?P<slug>[a-z0-9-]+)\.wav$")


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
    """The prompts read so far, and the run of audio pieces not yet made into prompts."""

    prompts: list[Prompt] = field(default_factory=list)
    words: str = ""
    audio: list[str] = field(default_factory=list)
    last: str = ""  # the kind of the last piece

    def say(self, text: str, language: str) -> None:
        self.flush()
        self.prompts.append(Prompt(" ".join(text.split()), lang=language.split("-")[0]))

    def play(self, url: str) -> None:
        path = path_of(url)
        if match := RECORDED.search(path):  # a whole prompt, recorded by a person
            self.flush()
            text = default_catalog().render(Text.of(match["key"]), match["lang"])
            self.prompts.append(Prompt(text, (path,)))
            return
        words, kind = words_of_piece(path)
        if starts_a_prompt(self.last, kind, words):
            self.words += "\n"
        if self.words and not self.words[-1].isspace() and words[:1].isalnum():
            self.words += " "  # a word after a word, a name or a sentence
        self.words += words
        self.last = kind
        self.audio.append(path)

    def flush(self) -> None:
        """A run of pieces becomes one prompt per sentence; the audio goes with the first."""
        if self.audio:
            lines = [" ".join(line.split()) for line in SENTENCE_END.split(self.words)]
            lines = [line for line in lines if line]
            self.prompts.append(Prompt(lines[0] if lines else "", tuple(self.audio)))
            self.prompts += [Prompt(line) for line in lines[1:]]
        self.words, self.audio, self.last = "", [], ""


def starts_a_prompt(last: str, kind: str, words: str) -> bool:
    """Whether a piece of `kind` after one of kind `last` begins the next prompt.

    Prompts end on a field ("..., tekan satu", "..., tekan bintang"); the next begins with a
    name ("Pasar Subagan, tekan dua") or with a capital ("Untuk kembali, ..."), where a
    word inside a prompt ("tiga ikat") does not.
    """
    if last == "word" and kind == "name":
        return True
    return last in ("word", "leaf") and kind in ("first", "leaf") and words[:1].isupper()


# Pieces are played back to back; their words are shown a sentence (or a title) a line.
SENTENCE_END = re.compile(r"(?<=[.?!:])\s+|\n")


def words_of_piece(path: str) -> tuple[str, str]:
    """The words one prompts-synth piece says, and its kind.

    A prompt piece is a literal part of its template, spaces and punctuation kept as written
    (kind "leaf" when it is the whole template, "first" when the template starts with it,
    else "prompt"); a number word ("word") or a name ("name": "bu-komang" reads "Bu
    Komang") is a word of its own.
    """
    if match := SYNTH_PROMPT.search(path):
        template = default_catalog().template(match["lang"], match["key"])
        index = int(match["i"])
        parts = list(string.Formatter().parse(template))
        if len(parts) == 1 and not parts[0][1]:
            return parts[0][0], "leaf"  # a whole prompt of plain words ("bintang", "sayur")
        return parts[index][0], "first" if index == 0 else "prompt"
    if match := SYNTH_WORD.search(path):
        word = match["slug"].replace("-", " ")
        kind = match["folder"][:-1]  # "words" -> "word", "names" -> "name"
        word = word.title() if kind == "name" else word
        return word, kind
    return "", "prompt"


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
