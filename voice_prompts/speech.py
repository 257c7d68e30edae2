"""Prompts as speech: money in words, order numbers digit by digit, options as "press N".

A prompt may have a spoken variant under `voice.<key>` (for example `voice.unit.kg` says
"kilo" where the screen shows "kg"); it is used when present. Speech comes out either as one
sentence for a text-to-speech voice (`say`) or as a list of pieces that each have a file of
their own (`pieces`), for a provider whose speech engine cannot read Indonesian.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Any

from num2words import num2words

from voice_prompts.prompt_catalog import PromptCatalog
from voice_prompts.text import Digits, Money, Text

# num2words has no Balinese: Balinese prompts read numbers in Indonesian (docs/RULES.md).
NUMBER_LANGUAGES = {"id": "id", "en": "en", "ban": "id"}
KEY_NAMES = {"*": "voice.key.star", "#": "voice.key.hash"}


@dataclass(frozen=True)
class Piece:
    """One stretch of speech with an audio file of its own.

    `kind` is "prompt" (the `index`-th literal part of the template `key`), "word" (a number
    word, "rupiah"), or "name" (a market, trader, item or caller name, said as written).
    """

    kind: str
    value: str
    index: int = 0


def is_spoken(literal: str) -> bool:
    """True when a literal part of a template has words (not only spaces and punctuation)."""
    return any(char.isalnum() for char in literal)


def number_words(number: int, lang: str) -> list[str]:
    """A whole number as the words a speaker says: 15000 -> ["lima", "belas", "ribu"]."""
    words = num2words(number, lang=NUMBER_LANGUAGES[lang])
    return [word for word in re.split(r"[\s,-]+", words) if word and word != "and"]


class SpeechRenderer:
    """Turns prompt `Text`s into speech in one language."""

    def __init__(self, prompts: PromptCatalog, lang: str) -> None:
        self.prompts = prompts
        self.lang = lang

    def spoken_key(self, key: str) -> str:
        """The key whose template is spoken: the `voice.` variant when there is one."""
        variant = f"voice.{key}"
        return variant if variant in self.prompts.texts[self.lang] else key

    def say(self, text: Text) -> str:
        """One sentence for a text-to-speech voice."""
        values = {name: self._say(value) for name, value in text.params.items()}
        return self.prompts.template(self.lang, self.spoken_key(text.key)).format(**values)

    def pieces(self, text: Text) -> list[Piece]:
        """The speech of `text` as pieces that each have (or may have) an audio file."""
        key = self.spoken_key(text.key)
        pieces: list[Piece] = []
        for literal, field in self.parts(key):
            pieces += [literal] if literal else []
            if field:
                pieces += self._pieces(text.params[field])
        return pieces

    def parts(self, key: str) -> list[tuple[Piece | None, str | None]]:
        """A template as (its spoken literal part or None, the field after it or None) pairs."""
        template = self.prompts.template(self.lang, key)
        return [
            (Piece("prompt", key, index) if is_spoken(literal) else None, field)
            for index, (literal, field, _, _) in enumerate(string.Formatter().parse(template))
        ]

    def literal(self, piece: Piece) -> str:
        """The words of a prompt piece, as written in the catalog."""
        template = self.prompts.template(self.lang, piece.value)
        return list(string.Formatter().parse(template))[piece.index][0].strip()

    def _say(self, value: Any) -> str:
        if isinstance(value, Text):
            return self.say(value)
        if isinstance(value, Money):
            return " ".join([*number_words(value.amount, self.lang), "rupiah"])
        if isinstance(value, Digits):
            return ", ".join(self._digit_words(value))
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, int):
            return " ".join(number_words(value, self.lang))
        return self.prompts.format_value(value, self.lang)

    def _pieces(self, value: Any) -> list[Piece]:
        if isinstance(value, Text):
            return self.pieces(value)
        if isinstance(value, Money):
            words = [*number_words(value.amount, self.lang), "rupiah"]
            return [Piece("word", word) for word in words]
        if isinstance(value, Digits):
            return [Piece("word", word) for word in self._digit_words(value)]
        if isinstance(value, int) and not isinstance(value, bool):
            return [Piece("word", word) for word in number_words(value, self.lang)]
        written = self.prompts.format_value(value, self.lang)
        return [Piece("name", written)] if written.strip() else []

    def _digit_words(self, value: Digits) -> list[str]:
        return [number_words(int(d), self.lang)[0] for d in value.digits if d.isdigit()]
