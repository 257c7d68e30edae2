"""Placeholder audio made offline with espeak-ng, for providers that cannot speak Indonesian.

Africa's Talking's `<Say>` reads English only, so Indonesian and Balinese prompts are played
as audio there, put together from pieces: each literal part of each prompt, each number word
(for prices and order numbers), each name in the catalog. A person's recordings (see
`providers.voice`) are better and replace these where they exist.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from voice_prompts.prompt_catalog import LANGUAGES, PromptCatalog
from voice_prompts.speech import Piece, SpeechRenderer, number_words

# espeak-ng has no Balinese voice; the Indonesian one reads Balinese's Latin spelling well.
ESPEAK_VOICES = {"id": "id", "ban": "id", "en": "en-gb"}
WORDS_PER_MINUTE = 140  # slower than espeak's 175: elderly callers follow slow speech better
NUMBERS_SPOKEN = [*range(1000), 1_000, 2_000, 10_000, 100_000, 1_000_000, 2_000_000]
INSTALL_HINT = "install it with: sudo apt-get install espeak-ng (Debian/Ubuntu)"


class EspeakMissing(RuntimeError):
    """espeak-ng is not installed (or not where we were told)."""


@dataclass(frozen=True)
class Clip:
    """One piece of speech to synthesize: what to say, in which language, into which file."""

    lang: str
    text: str
    path: str  # relative to the audio folder


def clips(prompts: PromptCatalog, names: Iterable[str]) -> list[Clip]:
    """Every clip a call may need: prompt parts, number words, "rupiah", catalog names."""
    found: dict[str, Clip] = {}
    for lang in LANGUAGES:
        speaker = SpeechRenderer(prompts, lang)
        pieces = [
            literal
            for key in sorted(prompts.keys(lang))
            for literal, _ in speaker.parts(key)
            if literal is not None
        ]
        words = {word for n in NUMBERS_SPOKEN for word in number_words(n, lang)} | {"rupiah"}
        pieces += [Piece("word", word) for word in sorted(words)]
        pieces += [Piece("name", name) for name in sorted(set(names)) if name.strip()]
        for piece in pieces:
            text = speaker.literal(piece) if piece.kind == "prompt" else piece.value
            path = clip_path(lang, piece)
            found.setdefault(path, Clip(lang, text, path))
    return list(found.values())


def synthesize(
    all_clips: list[Clip],
    out_dir: Path,
    *,
    espeak: str = "espeak-ng",
    force: bool = False,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> int:
    """Write each clip as a WAV file under `out_dir`; returns how many were written."""
    command = shutil.which(espeak)
    if command is None:
        raise EspeakMissing(f"{espeak} is not installed; {INSTALL_HINT}")
    todo = [clip for clip in all_clips if force or not (out_dir / clip.path).is_file()]
    done = 0
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in pool.map(lambda clip: _speak(command, clip, out_dir), todo):
            done += 1
            if done % 100 == 0 or done == len(todo):
                progress(done, len(todo))
    return done


def _speak(command: str, clip: Clip, out_dir: Path) -> None:
    target = out_dir / clip.path
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target, then rename: a half-written file is never served.
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".wav", delete=False) as partial:
        partial_path = Path(partial.name)
    try:
        subprocess.run(
            [
                command,
                "-v",
                ESPEAK_VOICES[clip.lang],
                "-s",
                str(WORDS_PER_MINUTE),
                "-w",
                str(partial_path),
                "--",
                clip.text,
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
        partial_path.replace(target)
    finally:
        partial_path.unlink(missing_ok=True)


def clip_path(lang: str, piece: Piece) -> str:
    """Where the audio of one speech piece lives in the audio folder (AUDIO_DIR)."""
    if piece.kind == "prompt":
        return f"{lang}/prompts/{piece.value}.{piece.index}.wav"
    return f"{lang}/{piece.kind}s/{slug(piece.value)}.wav"


def slug(text: str) -> str:
    """A file name for a word or a name: lower-case letters, digits and dashes."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "blank"
