"""Loads the prompt texts (`texts/<lang>.toml`) and renders `Text` values as written text."""

from __future__ import annotations

import string
import tomllib
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from voice_prompts.text import Text, When

LANGUAGES = ("id", "ban", "en")  # the order callers hear them in
DEFAULT_LANGUAGE = "id"
TEXTS_DIR = Path(__file__).resolve().parent / "texts"

# Babel has no Balinese locale; Balinese speakers read Indonesian day names and numbers.
BABEL_LOCALES = {"id": "id_ID", "en": "en_GB", "ban": "id_ID"}
WHEN_PATTERNS = {"id": "EEEE HH.mm", "en": "EEEE HH:mm", "ban": "EEEE HH.mm"}


class MissingPrompt(KeyError):
    """A prompt key that the catalog does not have in some language."""


class PromptCatalog:
    """All prompt texts of all languages, keyed `"cart.title"` etc."""

    def __init__(self, texts: dict[str, dict[str, str]]) -> None:
        self.texts = texts

    @classmethod
    def from_directory(cls, directory: Path = TEXTS_DIR) -> PromptCatalog:
        """Read `<lang>.toml` for every language."""
        texts = {}
        for lang in LANGUAGES:
            with (directory / f"{lang}.toml").open("rb") as handle:
                texts[lang] = _flatten(tomllib.load(handle))
        return cls(texts)

    def keys(self, lang: str) -> set[str]:
        """Every prompt key that `lang` has."""
        return set(self.texts[lang])

    def template(self, lang: str, key: str) -> str:
        """The raw template of `key` in `lang`."""
        try:
            return self.texts[lang][key]
        except KeyError:
            raise MissingPrompt(f"prompt {key!r} is missing in {lang!r}") from None

    def render(self, text: Text, lang: str) -> str:
        """Write `text` in `lang`, with money as `Rp15.000` and nested texts rendered too."""
        values = {name: self.format_value(value, lang) for name, value in text.params.items()}
        return self.template(lang, text.key).format(**values)

    def format_value(self, value: Any, lang: str) -> str:
        """One prompt parameter as written text (a nested Text, money, a time, a name)."""
        if isinstance(value, Text):
            return self.render(value, lang)
        if isinstance(value, When):
            return format_datetime(
                value.moment,
                WHEN_PATTERNS[lang],
                tzinfo=ZoneInfo(value.timezone),
                locale=BABEL_LOCALES[lang],
            )
        return str(value)  # Money writes itself as Rp15.000


def placeholders(template: str) -> set[str]:
    """The `{names}` a template uses."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{full}."))
        else:
            flat[full] = value
    return flat


@cache
def default_catalog() -> PromptCatalog:
    """The catalog shipped in `voice_prompts/texts/`, read once per process."""
    return PromptCatalog.from_directory()
