"""`POST /africastalking/voice`: Africa's Talking voice calls, the same menus as Twilio's.

Africa's Talking posts `isActive, sessionId, direction, callerNumber, destinationNumber`,
then `dtmfDigits` (after `GetDigits`) or `recordingUrl` (after `Record`) to the callbackUrl,
and `isActive=0` when the call has ended. Replies are its voice XML (`GetDigits`, `Play`,
`Say`, `Record`, `Dial`, `Redirect`), built with ElementTree. Its `Say` reads English only,
so Indonesian and Balinese are played: pieces of audio made by `prompts-synth`, or a
person's recording of a whole prompt. It does not sign callbacks: `?token=` is checked.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from flask import Blueprint, Response, request

from conversations.menu_turns import VoiceReply
from domain.messaging.outbox import SendError
from menus.screen import Screen
from providers.edge import (
    DIGITS_PRESSED,
    PHONE,
    PROVIDER_ID,
    URL,
    WORD,
    answer_or_apologise,
    caller_phone,
    field,
    refuse_malformed,
    required,
    xml_text,
)
from providers.missed_calls import (
    answered,
    call_back_by_session,
    receive_missed_call,
    unanswered,
)
from providers.security import require_url_token
from providers.voice import (
    GATHER_TIMEOUT_SECONDS,
    RECORD_MAX_SECONDS,
    answer_call,
    public_url,
    synthesized_dir,
    utterances,
)
from settings import Settings
from voice_prompts import Text, default_catalog
from voice_prompts.speech import SpeechRenderer
from voice_prompts.synth import clip_path
from web.current import current_settings

blueprint = Blueprint("africastalking_voice", __name__)

VOICE_FIELDS = {
    "isActive": field("[01]"),
    "sessionId": required(PROVIDER_ID),
    "callerNumber": required(PHONE),
    "destinationNumber": PHONE,
    "direction": WORD,
    "dtmfDigits": DIGITS_PRESSED,
    "recordingUrl": URL,
}


@blueprint.post("/africastalking/voice")
def voice() -> Response:
    """One step of a call: check, hand to the conversation, answer voice XML."""
    settings = current_settings()
    require_url_token(settings.at_webhook_token)
    refuse_malformed("Africa's Talking", VOICE_FIELDS)
    session_id = request.form["sessionId"]
    # Our call back (Voice.call) is answered on this same URL: known by the session id.
    call = call_back_by_session(session_id) if settings.missed_call_enabled else None
    if request.form.get("isActive", "1") == "0":
        if call is not None:
            unanswered(call)  # changes nothing once the call was answered
        return _xml(ET.Element("Response"))  # the call has ended: nothing to say
    lang = settings.default_language
    phone = call.phone if call else caller_phone(request.form["callerNumber"])
    if phone is None:
        return _xml(_goodbye(settings, "error.bad_phone", lang))
    step = request.args.get("step", type=int)
    if call is not None and step is None:
        answered(call)

    def answer() -> Response:
        reply = answer_call(
            call_id=session_id,
            phone=phone,
            step=step,
            digits=request.form.get("dtmfDigits"),
            recording_url=request.form.get("recordingUrl"),
            silences=request.args.get("silence", default=0, type=int),
            call_back=call is not None,
        )
        return _xml(render(reply, settings))

    # The caller hears an apology, never a dead line.
    return answer_or_apologise(
        "voice call", phone, answer, lambda: _xml(_goodbye(settings, "error.system", lang))
    )


def render(reply: VoiceReply, settings: Settings) -> ET.Element:
    """The voice XML for one reply."""
    response = ET.Element("Response")
    if reply.transfer:
        return _to_a_person(settings, reply.language)
    if reply.screen.end:
        _speak(response, reply, settings)
        return response
    callback = _callback(settings, step=reply.next_step)
    if reply.screen.expects == "recording":
        record = ET.SubElement(
            response,
            "Record",
            finishOnKey="#",
            maxLength=str(RECORD_MAX_SECONDS),
            timeout=str(GATHER_TIMEOUT_SECONDS),
            trimSilence="true",
            playBeep="true",
            callbackUrl=callback,
        )
        _speak(record, reply, settings)
    else:
        number = reply.screen.expects == "number"
        attributes = {"timeout": str(GATHER_TIMEOUT_SECONDS), "callbackUrl": callback}
        attributes.update({"finishOnKey": "#"} if number else {"numDigits": "1"})
        _speak(ET.SubElement(response, "GetDigits", attributes), reply, settings)
    redirect = ET.SubElement(response, "Redirect")
    redirect.text = _callback(settings, step=reply.next_step, silence=reply.silences + 1)
    return response


def _speak(parent: ET.Element, reply: VoiceReply, settings: Settings) -> None:
    """English as `Say`; Indonesian and Balinese as `Play` of recordings or audio pieces."""
    prompts = default_catalog()
    speaker = SpeechRenderer(prompts, reply.language)
    audio_dir = synthesized_dir()
    for utterance in utterances(reply, prompts):
        if utterance.recording:
            _play(parent, public_url("voice_audio.recorded", filename=utterance.recording))
            continue
        paths = [clip_path(reply.language, piece) for piece in speaker.pieces(utterance.text)]
        if reply.language != "en" and all((audio_dir / path).is_file() for path in paths):
            for path in paths:
                _play(parent, public_url("voice_audio.synthesized", filename=path))
        else:  # English, or audio not made yet (prompts-synth): better read badly than silence
            ET.SubElement(parent, "Say").text = xml_text(utterance.speech)


def _play(parent: ET.Element, url: str) -> None:
    ET.SubElement(parent, "Play", url=url)


def _callback(settings: Settings, **values: object) -> str:
    if settings.at_webhook_token:
        values["token"] = settings.at_webhook_token
    return public_url("africastalking_voice.voice", **values)


def _to_a_person(settings: Settings, lang: str) -> ET.Element:
    if not settings.call_center_number:
        return _goodbye(settings, "voice.no_operator", lang)
    response = ET.Element("Response")
    _speak_text(response, Text.of("voice.operator"), lang, settings)
    ET.SubElement(response, "Dial", phoneNumbers=settings.call_center_number)
    return response


def _goodbye(settings: Settings, key: str, lang: str) -> ET.Element:
    response = ET.Element("Response")
    _speak_text(response, Text.of(key), lang, settings)
    return response


def _speak_text(parent: ET.Element, text: Text, lang: str, settings: Settings) -> None:
    """One prompt, spoken the way `_speak` speaks a screen."""
    closing = Screen((text,), end=True)
    _speak(parent, VoiceReply(screen=closing, language=lang, next_step=0), settings)


def _xml(response: ET.Element) -> Response:
    body = ET.tostring(response, encoding="unicode", xml_declaration=True)
    return Response(body, mimetype="application/xml")


# ---------------------------------------------------------------- the missed-call number


@blueprint.post("/africastalking/missed")
def missed() -> Response:
    """A ring on the missed-call number: stored, then rejected unanswered (no charge)."""
    settings = current_settings()
    require_url_token(settings.at_webhook_token)
    refuse_malformed("Africa's Talking", VOICE_FIELDS)
    response = ET.Element("Response")
    if request.form.get("isActive", "1") == "0":
        return _xml(response)  # the rejected call has ended
    phone = caller_phone(request.form["callerNumber"])
    if phone is not None:
        receive_missed_call("africastalking", phone, request.form["sessionId"])
    ET.SubElement(response, "Reject")
    return _xml(response)


class AfricasTalkingCaller:
    """Places call backs through Africa's Talking's `Voice.call` (the `africastalking` SDK).

    Answered, the call comes to the number's voice callback URL (/africastalking/voice)
    with the session id the call was given here.
    """

    REQUIRED_SETTINGS = ("at_username", "at_api_key", "callback_caller_id")

    def __init__(self, settings: Settings) -> None:
        from africastalking.Voice import VoiceService

        self.service = VoiceService(settings.at_username, settings.at_api_key)
        if settings.at_voice_api_base_url:
            self.service._baseUrl = settings.at_voice_api_base_url.rstrip("/")
        self.from_number = settings.callback_caller_id
        self.timeout = settings.provider_timeout_seconds

    def call(self, to: str, call_id: int) -> str:
        """Ring `to`; returns Africa's Talking's session id of the call."""
        from africastalking.Service import AfricasTalkingException
        from requests import RequestException

        try:
            answer = self.service.call(self.from_number, [to], timeout=self.timeout)
        except ValueError as exc:  # the SDK refuses a number that is not E.164
            raise SendError(f"Africa's Talking: {exc}", permanent=True) from exc
        except (AfricasTalkingException, RequestException) as exc:
            raise SendError(f"Africa's Talking: {exc}") from exc
        entries = (answer.get("entries") if isinstance(answer, dict) else None) or [{}]
        if entries[0].get("status") != "Queued" or not entries[0].get("sessionId"):
            error = entries[0].get("status") or answer.get("errorMessage")
            raise SendError(f"Africa's Talking: {error}")
        return entries[0]["sessionId"]
