"""Plays a call's prompts in the terminal, when this machine can make a sound.

A prompt with audio (a person's recording, or prompts-synth's pieces) is fetched from the
gateway and played with the first audio player found; a prompt the provider would speak
itself (Twilio's `<Say>`) is read by espeak-ng, the voice prompts-synth uses too. Nothing
found, or `--mute`: the prompts are only shown. Playing runs beside the keyboard: the next
key press stops it, as on a real call.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from simulator.voice_markup import Prompt

# Each player, and its arguments to play one file and return.
PLAYERS = (
    ("aplay", ("-q",)),
    ("paplay", ()),
    ("ffplay", ("-nodisp", "-autoexit", "-loglevel", "quiet")),
    ("afplay", ()),
)
ESPEAK_VOICES = {"id": "id", "en": "en", "ban": "id"}
PLAY_TIMEOUT_SECONDS = 60


def find_player() -> list[str] | None:
    """The command of the first audio player on this machine, or None."""
    for name, arguments in PLAYERS:
        if path := shutil.which(name):
            return [path, *arguments]
    return None


class Speaker:
    """Plays prompts one after another in a thread; `stop` cuts the one playing."""

    def __init__(self, fetch: Callable[[str], bytes], *, muted: bool = False) -> None:
        self.fetch = fetch
        self.player = None if muted else find_player()
        self.espeak = None if muted else shutil.which("espeak-ng")
        self._current: subprocess.Popen | None = None
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def can_play(self) -> bool:
        return self.player is not None or self.espeak is not None

    def play(self, prompts: Sequence[Prompt], lang: str) -> None:
        """Start playing `prompts` (stopping whatever plays now)."""
        self.stop()
        if not self.can_play:
            return
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._play_all, args=(list(prompts), lang, self._stopped), daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        current = self._current
        if current is not None and current.poll() is None:
            current.terminate()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def _play_all(self, prompts: list[Prompt], lang: str, stopped: threading.Event) -> None:
        with tempfile.TemporaryDirectory(prefix="telepasar-sound-") as folder:
            for prompt in prompts:
                for command in self._commands(prompt, lang, Path(folder)):
                    if stopped.is_set():
                        return
                    self._run(command)

    def _commands(self, prompt: Prompt, lang: str, folder: Path) -> list[list[str]]:
        if not prompt.audio:
            if not self.espeak:
                return []
            voice = ESPEAK_VOICES.get(prompt.lang or lang, "id")
            return [[self.espeak, "-v", voice, "-s", "140", prompt.text]]
        if self.player is None:
            return []
        commands = []
        for index, path in enumerate(prompt.audio):
            try:
                audio = self.fetch(path)
            except Exception:  # a missing clip: the text is on the screen anyway
                continue
            clip = folder / f"{index}{Path(path).suffix}"
            clip.write_bytes(audio)
            commands.append([*self.player, str(clip)])
        return commands

    def _run(self, command: list[str]) -> None:
        try:
            self._current = subprocess.Popen(
                command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            self._current.wait(timeout=PLAY_TIMEOUT_SECONDS)
        except (OSError, subprocess.TimeoutExpired):
            if self._current is not None:
                self._current.kill()
        finally:
            self._current = None
