"""The terminal simulator's parts that need no gateway: its words, and its sound.

Sound is played only when the machine has a player: here fake `aplay` and `espeak-ng`
scripts on the PATH write down what they were asked to play.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from settings import Settings
from simulator.sound import Speaker
from simulator.texts import TEXTS
from simulator.voice_markup import Prompt, read_twiml

WIDTH = 80


def test_every_word_exists_in_every_language_and_fits_80_columns():
    assert TEXTS["id"].keys() == TEXTS["en"].keys()
    for words in TEXTS.values():
        menu = words["menu"].format(code=Settings().ussd_code)
        prompts = [words[key] for key in ("press_key", "press_number", "record", "ussd_reply")]
        assert all(len(line) <= WIDTH for line in [menu, *prompts])


@pytest.fixture
def players(tmp_path: Path, monkeypatch) -> Path:
    """Fake `aplay` and `espeak-ng`: each writes what it plays (a file's bytes, or the text
    to speak) as a line of a log."""
    log = tmp_path / "played.log"
    for name in ("aplay", "espeak-ng"):
        script = tmp_path / name
        script.write_text(
            "#!/bin/sh\n"
            'last=""; for a in "$@"; do last="$a"; done\n'
            f'if [ -f "$last" ]; then cat "$last" >> {log}; else printf %s "$last" >> {log}; fi\n'
            f"echo >> {log}\n"
        )
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(tmp_path), prepend=os.pathsep)
    return log


def test_audio_is_fetched_and_played_in_order_and_speech_read_by_espeak(players: Path):
    fetched = []

    def fetch(path: str) -> bytes:
        fetched.append(path)
        return f"audio of {path}".encode()

    speaker = Speaker(fetch)
    assert speaker.can_play
    speaker.play(
        [Prompt("Pilih pasar:", ("/audio/a.wav", "/audio/b.wav")), Prompt("Selamat datang")],
        lang="id",
    )
    speaker._thread.join(timeout=10)
    assert fetched == ["/audio/a.wav", "/audio/b.wav"]
    assert players.read_text().split("\n") == [
        "audio of /audio/a.wav",
        "audio of /audio/b.wav",
        "Selamat datang",
        "",
    ]


def test_muted_nothing_is_played(players: Path):
    speaker = Speaker(lambda path: b"", muted=True)
    speaker.play([Prompt("Selamat datang")], lang="id")
    assert not speaker.can_play and not players.exists()


def test_twiml_is_read_as_the_caller_hears_it():
    step = read_twiml(
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        '<Gather action="/twilio/voice?step=2" finishOnKey="#" input="dtmf">'
        '<Say language="id-ID">Berapa ikat?</Say></Gather>'
        '<Redirect method="POST">/twilio/voice?step=2&amp;silence=1</Redirect></Response>'
    )
    assert [p.text for p in step.prompts] == ["Berapa ikat?"]
    assert (step.listen, step.action, step.on_silence) == (
        "number",
        "/twilio/voice?step=2",
        "/twilio/voice?step=2&silence=1",
    )
    assert not step.ended
