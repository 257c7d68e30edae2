"""The prompt catalog: every text a caller hears or reads, in id (default), en and ban.

Menus build `Text` values (a prompt key and its parameters); the channel renders them, as
written text here, as speech in the voice channel.
"""

from voice_prompts.prompt_catalog import LANGUAGES, PromptCatalog, default_catalog
from voice_prompts.text import Digits, Money, Text, When, format_rupiah, parse_rupiah

__all__ = [
    "Digits",
    "LANGUAGES",
    "Money",
    "PromptCatalog",
    "Text",
    "When",
    "default_catalog",
    "format_rupiah",
    "parse_rupiah",
]
