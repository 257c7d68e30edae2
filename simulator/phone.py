"""A simulated phone: a USSD session, a call, an SMS, a call back picked up or left ringing.

The terminal program and the console's page both drive these; each keeps only what a
provider would keep between two requests (the USSD session id and input so far, the call's
id and the URL its last reply named), so the page can hold it in the browser.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass

from simulator.voice_markup import READERS, VoiceStep
from simulator.webhooks import (
    MISSED_PATHS,
    SMS_PATHS,
    VOICE_PATHS,
    VOICE_ROUTES,
    Answer,
    Webhooks,
    new_id,
)
from simulator.window import CallBack

SMS_PROVIDERS = tuple(SMS_PATHS)
VOICE_PROVIDERS = tuple(VOICE_PATHS)
# A recording the simulator "makes": a Twilio-shaped URL that points at nothing.
SIMULATED_RECORDING = "https://api.twilio.com/2010-04-01/Recordings/RE{0}"


class GatewayRefused(Exception):
    """The gateway did not answer as a provider expects (an HTTP error, a non-XML reply)."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(f"HTTP {answer.status}: {answer.text.strip()[:200]}")
        self.answer = answer


def _checked(answer: Answer) -> Answer:
    if not answer.ok:
        raise GatewayRefused(answer)
    return answer


@dataclass
class UssdSession:
    """One USSD dial: Africa's Talking's session id and every input so far."""

    session_id: str
    text: str = ""
    screen: str = ""
    ended: bool = False

    @classmethod
    def dial(cls, hooks: Webhooks, phone: str) -> UssdSession:
        """Dial the service code: the first screen."""
        session = cls(session_id=new_id("ATUid_")[:32])
        session._post(hooks, phone, "")
        return session

    def answer(self, hooks: Webhooks, phone: str, typed: str) -> None:
        """Send what the caller typed on this screen."""
        if self.ended:
            return
        self._post(hooks, phone, f"{self.text}*{typed}" if self.text else typed)

    def _post(self, hooks: Webhooks, phone: str, text: str) -> None:
        reply = _checked(hooks.ussd(session_id=self.session_id, phone=phone, text=text)).text
        if not reply.startswith(("CON ", "END ")):
            raise GatewayRefused(Answer(200, "text/plain", reply))
        self.text = text
        self.ended = reply.startswith("END ")
        self.screen = reply[4:]

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Call:
    """One voice call to the service over one provider's voice webhook, or a call back from
    it (`caller`: the number Telepasar calls from)."""

    provider: str
    call_id: str
    action: str | None = None
    on_silence: str | None = None
    listen: str | None = None
    caller: str | None = None

    @classmethod
    def dial(cls, hooks: Webhooks, phone: str, provider: str) -> tuple[Call, VoiceStep]:
        """Call the service: the first prompts."""
        prefix = "CA" if provider == "twilio" else "ATVId_"
        call = cls(provider=provider, call_id=new_id(prefix)[:34])
        return call, call._post(hooks, phone, VOICE_PATHS[provider], {"CallStatus": "ringing"})

    @property
    def ended(self) -> bool:
        return self.listen is None and self.on_silence is None

    def press(self, hooks: Webhooks, phone: str, keys: str) -> VoiceStep:
        """Press keys while the call listens (a number ends with `#`)."""
        if self.listen == "recording":
            return self.record(hooks, phone)
        name = "Digits" if self.provider == "twilio" else "dtmfDigits"
        return self._post(hooks, phone, self.action or "", {name: keys})

    def silence(self, hooks: Webhooks, phone: str) -> VoiceStep:
        """Say and press nothing until the provider gives up waiting."""
        return self._post(hooks, phone, self.on_silence or "", {})

    def record(self, hooks: Webhooks, phone: str) -> VoiceStep:
        """Speak after the beep, then `#`: the recording's URL goes to the gateway."""
        url = SIMULATED_RECORDING.format(new_id())
        if self.provider == "twilio":
            fields = {"RecordingUrl": url, "RecordingDuration": "4", "Digits": "#"}
        else:
            fields = {"recordingUrl": url}
        return self._post(hooks, phone, self.action or "", fields)

    def hang_up(self, hooks: Webhooks, phone: str) -> None:
        """Put the phone down: Africa's Talking tells the app (`isActive=0`), Twilio does not."""
        if self.provider == "africastalking" and not self.ended:
            hooks.voice(self.provider, VOICE_PATHS[self.provider], self._form(phone, active=False))
        self.action = self.on_silence = self.listen = None

    def _post(self, hooks: Webhooks, phone: str, path: str, extra: dict[str, str]) -> VoiceStep:
        if not path.startswith(VOICE_ROUTES[self.provider]):
            raise ValueError(f"not a {self.provider} voice URL: {path[:80]}")
        answer = _checked(hooks.voice(self.provider, path, {**self._form(phone), **extra}))
        try:
            step = READERS[self.provider](answer.text)
        except ET.ParseError as exc:
            raise GatewayRefused(answer) from exc
        self.action, self.on_silence, self.listen = step.action, step.on_silence, step.listen
        return step

    def _form(self, phone: str, *, active: bool = True) -> dict[str, str]:
        """What the provider posts on each request of this call (its direction, its ends)."""
        if self.provider == "twilio":
            form = {
                "CallSid": self.call_id,
                "From": phone,
                "CallStatus": "in-progress",
                "Direction": "inbound",
                "ApiVersion": "2010-04-01",
            }
            if self.caller:
                form.update(From=self.caller, To=phone, Direction="outbound-api")
            return form
        form = {
            "isActive": "1" if active else "0",
            "sessionId": self.call_id,
            "direction": "Inbound",
            "callerNumber": phone,
        }
        if self.caller:
            form.update(direction="Outbound", callerNumber=self.caller, destinationNumber=phone)
        return form

    def to_dict(self) -> dict:
        return asdict(self)


def ring_missed(hooks: Webhooks, phone: str, provider: str) -> VoiceStep:
    """Ring the missed-call number and hang up: the reply should be a reject."""
    if provider == "twilio":
        form = {"CallSid": new_id("CA"), "From": phone, "CallStatus": "ringing"}
    else:
        form = {"isActive": "1", "sessionId": new_id("ATVId_"), "callerNumber": phone}
    answer = _checked(hooks.voice(provider, MISSED_PATHS[provider], form))
    return READERS[provider](answer.text)


def answer_call_back(hooks: Webhooks, phone: str, call_back: CallBack) -> tuple[Call, VoiceStep]:
    """Pick up: the provider's first request for the call it placed (Twilio fetches our URL
    for that call; Africa's Talking posts to the voice URL with the call's session id)."""
    ours = _calling_number(hooks, phone)
    if call_back.provider == "twilio":
        call = Call("twilio", new_id("CA"), caller=ours)
        path = f"/twilio/callback?call={call_back.id}"
    else:
        call = Call("africastalking", call_back.provider_call_id, caller=ours)
        path = VOICE_PATHS["africastalking"]
    return call, call._post(hooks, phone, path, {})


def let_call_back_ring_out(hooks: Webhooks, phone: str, call_back: CallBack) -> None:
    """Nobody picks up: the provider's last word on the call (no answer)."""
    ours = _calling_number(hooks, phone)
    if call_back.provider == "twilio":
        call = Call("twilio", new_id("CA"), caller=ours)
        form = {**call._form(phone), "CallStatus": "no-answer"}
        path = f"/twilio/callback/status?call={call_back.id}"
    else:
        call = Call("africastalking", call_back.provider_call_id, caller=ours)
        form = call._form(phone, active=False)
        path = VOICE_PATHS["africastalking"]
    _checked(hooks.voice(call_back.provider, path, form))


def _calling_number(hooks: Webhooks, phone: str) -> str:
    """The number a call back comes from (the phone's own when none is set)."""
    return hooks.settings.callback_caller_id or hooks.settings.twilio_from_number or phone


def replying_provider(sms_provider: str) -> str:
    """The webhook a simulated SMS comes in through: that of the provider sending the replies
    (SMS_PROVIDER), Twilio's while the replies only go to the log."""
    return sms_provider if sms_provider in SMS_PROVIDERS else "twilio"


def send_sms(hooks: Webhooks, provider: str, phone: str, text: str) -> list[str]:
    """Text the service; returns the replies that came back in the webhook's answer.

    Twilio's webhook answers with the reply (TwiML `<Message>`); the others reply later
    through the outbox, so their replies are among the number's messages.
    """
    answer = _checked(hooks.sms(provider, phone=phone, text=text))
    if provider != "twilio" or not answer.text.strip():
        return []
    return [message.text or "" for message in ET.fromstring(answer.text).iter("Message")]
