"""`POST /twilio/voice`: an incoming call, and every step after it (the TwiML `action` URLs).

Twilio posts `CallSid, From, To, ...`; a `<Gather>` answer adds `Digits`, a `<Record>` answer
`RecordingUrl`. Replies are TwiML built with `twilio.twiml.voice_response`. Each step's URL
carries its number (`?step=N`), so a retried callback is recognised and changes nothing;
silence falls through to a `<Redirect>` that counts it (`&silence=K`).
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request, url_for
from twilio.twiml.voice_response import Gather, Record, VoiceResponse

from conversations.menu_turns import VoiceReply
from domain.messaging.outbox import SendError
from providers.edge import (
    PHONE,
    URL,
    WORD,
    answer_or_apologise,
    caller_phone,
    field,
    refuse_malformed,
    required,
    xml_text,
)
from providers.missed_calls import answered, call_back_of, receive_missed_call, unanswered
from providers.security import require_twilio_signature
from providers.twilio_sms import twilio_client
from providers.voice import (
    GATHER_TIMEOUT_SECONDS,
    RECORD_MAX_SECONDS,
    Utterance,
    answer_call,
    public_url,
    utterances,
)
from settings import Settings
from voice_prompts import Text, default_catalog
from web.current import current_settings
from web.row_ids import row_id

blueprint = Blueprint("twilio_voice", __name__)
log = logging.getLogger(__name__)

# Twilio's speech languages; Balinese is read by the Indonesian voice (no Balinese TTS exists).
SAY_LANGUAGES = {"id": "id-ID", "ban": "id-ID", "en": "en-GB"}
ENGLISH_VOICE = "Google.en-GB-Standard-A"


blueprint.before_request(require_twilio_signature)

# What Twilio posts to a voice webhook (docs/WEBHOOKS.md); the sids by their exact shape, as
# for SMS.
# `Digits` after a <Record> is the key that ended it, or "hangup".
VOICE_FIELDS = {
    "CallSid": required(field("CA[0-9a-f]{32}")),
    "AccountSid": field("AC[0-9a-f]{32}"),
    "From": required(PHONE),
    "To": PHONE,
    "CallStatus": WORD,
    "Digits": field("[0-9*#]{0,64}|hangup"),
    "RecordingUrl": URL,
    "RecordingSid": field("RE[0-9a-f]{32}"),
}


@blueprint.post("/twilio/voice")
def voice() -> Response:
    """One step of a call: check, hand to the conversation, answer TwiML."""
    refuse_malformed("Twilio", VOICE_FIELDS)
    settings = current_settings()
    phone = caller_phone(request.form["From"])
    if phone is None:
        return _twiml(_goodbye(settings, "error.bad_phone"))
    call_sid = request.form["CallSid"]

    def answer() -> Response:
        reply = answer_call(
            call_id=call_sid,
            phone=phone,
            step=request.args.get("step", type=int),
            digits=request.form.get("Digits"),
            recording_url=request.form.get("RecordingUrl"),
            silences=request.args.get("silence", default=0, type=int),
        )
        return _twiml(render(reply, settings))

    # The caller hears an apology, never Twilio's application error.
    return answer_or_apologise(
        "voice call", phone, answer, lambda: _twiml(_goodbye(settings, "error.system"))
    )


def render(
    reply: VoiceReply, settings: Settings, endpoint: str = "twilio_voice.voice", **url: object
) -> VoiceResponse:
    """The TwiML for one voice reply; its answers go to `endpoint` (with `url` values)."""
    if reply.transfer:
        return _to_a_person(settings, reply.language)
    response = VoiceResponse()
    spoken = utterances(reply, default_catalog())
    if reply.screen.end:
        _speak(response, spoken, reply.language, settings)
        response.hangup()
        return response
    action = url_for(endpoint, step=reply.next_step, **url)
    if reply.screen.expects == "recording":
        _speak(response, spoken, reply.language, settings)
        response.append(
            Record(
                action=action,
                method="POST",
                max_length=RECORD_MAX_SECONDS,
                timeout=GATHER_TIMEOUT_SECONDS,
                play_beep=True,
            )
        )
    else:
        number = reply.screen.expects == "number"
        gather = Gather(
            input="dtmf",
            action=action,
            method="POST",
            timeout=GATHER_TIMEOUT_SECONDS,
            finish_on_key="#" if number else "",
            num_digits=None if number else 1,
        )
        _speak(gather, spoken, reply.language, settings)
        response.append(gather)
    silence = url_for(endpoint, step=reply.next_step, silence=reply.silences + 1, **url)
    response.redirect(silence, method="POST")
    return response


def _speak(verb, spoken: list[Utterance], lang: str, settings: Settings) -> None:
    """Each prompt as a recording when somebody recorded it, else as speech."""
    for utterance in spoken:
        if utterance.recording:
            verb.play(public_url("voice_audio.recorded", filename=utterance.recording))
        else:
            _say(verb, utterance.speech, lang, settings)


def _to_a_person(settings: Settings, lang: str) -> VoiceResponse:
    response = VoiceResponse()
    catalog = default_catalog()
    if settings.call_center_number:
        _say(response, catalog.render(Text.of("voice.operator"), lang), lang, settings)
        response.dial(settings.call_center_number)
    else:
        _say(response, catalog.render(Text.of("voice.no_operator"), lang), lang, settings)
        response.hangup()
    return response


def _goodbye(settings: Settings, key: str) -> VoiceResponse:
    response = VoiceResponse()
    lang = settings.default_language
    _say(response, default_catalog().render(Text.of(key), lang), lang, settings)
    response.hangup()
    return response


def _say(response, text: str, lang: str, settings: Settings) -> None:
    voice = settings.twilio_voice if lang != "en" else ENGLISH_VOICE
    response.say(xml_text(text), language=SAY_LANGUAGES[lang], voice=voice)


def _twiml(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="text/xml")


# ---------------------------------------------------------------- the missed-call number

# Twilio's final words on a call nobody answered.
UNANSWERED = {"no-answer", "busy", "failed", "canceled"}


@blueprint.post("/twilio/missed")
def missed() -> Response:
    """A ring on the missed-call number: stored, then rejected unanswered (no charge)."""
    refuse_malformed("Twilio", VOICE_FIELDS)
    phone = caller_phone(request.form["From"])
    if phone is not None:
        receive_missed_call("twilio", phone, request.form["CallSid"])
    response = VoiceResponse()
    response.reject(reason="busy")
    return _twiml(response)


@blueprint.post("/twilio/callback")
def call_back() -> Response:
    """Our call back, answered: the last order read out, one key to order it again.

    `?call=` names our `outbound_calls` row; the caller is the number we called (`To`).
    """
    refuse_malformed("Twilio", VOICE_FIELDS)
    call = call_back_of(row_id(request.args.get("call")))
    if call is None:
        return _twiml(_goodbye(current_settings(), "error.system"))
    settings = current_settings()
    step = request.args.get("step", type=int)
    if step is None:
        answered(call)

    def answer() -> Response:
        reply = answer_call(
            call_id=request.form["CallSid"],
            phone=call.phone,
            step=step,
            digits=request.form.get("Digits"),
            recording_url=None,
            silences=request.args.get("silence", default=0, type=int),
            call_back=True,
        )
        return _twiml(render(reply, settings, "twilio_voice.call_back", call=call.id))

    return answer_or_apologise(
        "call back", call.phone, answer, lambda: _twiml(_goodbye(settings, "error.system"))
    )


@blueprint.post("/twilio/callback/status")
def call_back_status() -> Response:
    """Twilio's last word on a call back: unanswered, the last order goes out by SMS."""
    refuse_malformed("Twilio", VOICE_FIELDS)
    call = call_back_of(row_id(request.args.get("call")))
    if call is not None and request.form.get("CallStatus") in UNANSWERED:
        unanswered(call)
    return Response("", status=204)


class TwilioCaller:
    """Places call backs through Twilio's REST API (`calls.create`, the `twilio` SDK)."""

    REQUIRED_SETTINGS = ("twilio_account_sid", "twilio_auth_token")
    RING_SECONDS = 30

    def __init__(self, settings: Settings) -> None:
        self.client = twilio_client(settings)
        self.from_number = settings.callback_caller_id or settings.twilio_from_number
        self.base = settings.public_base_url.rstrip("/")

    def call(self, to: str, call_id: int) -> str:
        """Ring `to`; answered, Twilio fetches /twilio/callback; at the end, the status URL."""
        from requests import RequestException
        from twilio.base.exceptions import TwilioException, TwilioRestException

        try:
            placed = self.client.calls.create(
                to=to,
                from_=self.from_number,
                url=f"{self.base}/twilio/callback?call={call_id}",
                status_callback=f"{self.base}/twilio/callback/status?call={call_id}",
                status_callback_method="POST",
                timeout=self.RING_SECONDS,
            )
        except TwilioRestException as exc:
            raise SendError(f"Twilio {exc.status} error {exc.code}: {exc.msg}") from exc
        except (TwilioException, RequestException) as exc:
            raise SendError(f"Twilio: {exc}") from exc
        return placed.sid
