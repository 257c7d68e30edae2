"""What the two voice gateways share: the screen as spoken prompts, recordings, the static route.

A recording at `voice_prompts/audio/<lang>/<key>.<ext>` (made by a person) is played instead
of speech; `flask --app gateway prompts-synth` writes placeholder audio under
`instance/audio/<lang>/` for providers that cannot speak Indonesian (Africa's Talking).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, send_from_directory, url_for

from conversations.menu_turns import CallStep, VoiceReply, voice_hop, voice_turn
from domain.orders.rules import OrderRules
from menus.screen import Screen
from telemetry.metrics import HOP_SECONDS
from voice_prompts import Digits, Text
from voice_prompts.prompt_catalog import PromptCatalog
from voice_prompts.speech import KEY_NAMES, SpeechRenderer
from web.current import current_database, current_settings, current_time

RECORDINGS_DIR = Path(__file__).resolve().parent.parent / "voice_prompts" / "audio"
AUDIO_EXTENSIONS = (".mp3", ".wav")
GATHER_TIMEOUT_SECONDS = 8
RECORD_MAX_SECONDS = 60

blueprint = Blueprint("voice_audio", __name__)


@dataclass(frozen=True)
class Utterance:
    """One prompt to speak: its text for a speech engine, or a recording to play."""

    text: Text
    speech: str
    recording: str | None  # a path under /audio/, or None


def answer_call(
    *,
    call_id: str,
    phone: str,
    step: int | None,
    digits: str | None,
    recording_url: str | None,
    silences: int,
    call_back: bool = False,
) -> VoiceReply:
    """Run one voice callback of either provider through the conversation, in a unit of work."""
    settings = current_settings()
    now = current_time()
    call = CallStep(
        call_id=call_id,
        phone=phone,
        step=step,
        digits=digits,
        recording_url=recording_url,
        silences=silences,
        rules=OrderRules.from_settings(settings),
        default_language=settings.default_language,
        now=now,
        call_back=call_back,
    )
    # Worked out from a read, then one short write (docs/OPERATIONS.md, Durability).
    with HOP_SECONDS.labels("voice").time():
        return current_database().hop(
            lambda session: voice_hop(session, call),
            lambda session: voice_turn(session, call),
        )


def utterances(reply: VoiceReply, prompts: PromptCatalog) -> list[Utterance]:
    """The prompts of a reply in the order they are spoken."""
    screen = reply.screen or Screen((Text.of("voice.operator"),))
    texts = list(screen.lines)
    texts += [
        Text.of("voice.option", label=option.label, press=_key_text(option.key))
        for option in screen.options
    ]
    if reply.hint:
        texts.append(Text.of("voice.help"))
    speaker = SpeechRenderer(prompts, reply.language)
    return [
        Utterance(text, speaker.say(text), recording_path(reply.language, text)) for text in texts
    ]


def recording_path(lang: str, text: Text) -> str | None:
    """The recording of a prompt without parameters, if somebody recorded it."""
    if text.params:
        return None
    for extension in AUDIO_EXTENSIONS:
        if (RECORDINGS_DIR / lang / f"{text.key}{extension}").is_file():
            return f"{lang}/{text.key}{extension}"
    return None


def synthesized_dir() -> Path:
    """The folder of placeholder audio made by prompts-synth (AUDIO_DIR)."""
    return Path(current_settings().audio_dir)


def public_url(endpoint: str, **values: object) -> str:
    """An absolute URL of ours, as the provider must fetch it (PUBLIC_BASE_URL)."""
    base = current_settings().public_base_url.rstrip("/")
    return base + url_for(endpoint, **values)


@blueprint.get("/audio/recorded/<path:filename>")
def recorded(filename: str):
    """Serve a recorded prompt (`<lang>/<key>.<ext>`)."""
    return send_from_directory(RECORDINGS_DIR, filename)


@blueprint.get("/audio/synth/<path:filename>")
def synthesized(filename: str):
    """Serve placeholder audio made by prompts-synth."""
    return send_from_directory(synthesized_dir(), filename)


def _key_text(key: str) -> Text | Digits:
    return Text.of(KEY_NAMES[key]) if key in KEY_NAMES else Digits(key)
