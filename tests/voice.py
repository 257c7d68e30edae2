"""Drives a voice call as Twilio or Africa's Talking would: post, parse the XML, follow it."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import urljoin

from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator

PUBLIC_BASE_URL = "https://telepasar.example"
TWILIO_AUTH_TOKEN = "twilio-test-token"
DIGIT_WORDS = "nol satu dua tiga empat lima enam tujuh delapan sembilan".split()


def spoken_digits(number: str, separator: str = ", ") -> str:
    """An order number as the voice reads it back, digit by digit: "4821" -> "empat, ..."."""
    return separator.join(DIGIT_WORDS[int(digit)] for digit in number)


def twilio_sid(prefix: str, name: str) -> str:
    """A sid of Twilio's shape (`prefix` and 32 hex), the same for the same `name`."""
    return prefix + hashlib.md5(name.encode()).hexdigest()


ACCOUNT_SID = twilio_sid("AC", "account")


@dataclass
class TwilioCall:
    """One call: `start()` posts the incoming call, `press()` answers the current <Gather>."""

    client: FlaskClient
    caller: str = "+6281234567890"
    call_sid: str = twilio_sid("CA", "1")
    token: str = TWILIO_AUTH_TOKEN
    twiml: ET.Element | None = None
    said: list[str] = field(default_factory=list)

    def start(self) -> ET.Element:
        return self.post("/twilio/voice", {})

    def press(self, digits: str) -> ET.Element:
        """Answer the current <Gather> with `digits`."""
        return self.post(self.action("Gather"), {"Digits": digits, "FinishedOnKey": ""})

    def record(
        self, url: str = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"
    ) -> ET.Element:
        """Answer the current <Record> with a recording, ended with #."""
        return self.post(
            self.action("Record"),
            {
                "RecordingUrl": url,
                "RecordingDuration": "9",
                "RecordingSid": twilio_sid("RE", url),
                "Digits": "#",
            },
        )

    def silence(self) -> ET.Element:
        """Say nothing: Twilio falls through to the <Redirect>."""
        return self.post(self.twiml.find("Redirect").text, {})

    def action(self, verb: str) -> str:
        element = self.twiml.find(f".//{verb}")
        assert element is not None, f"no <{verb}> in {ET.tostring(self.twiml).decode()}"
        return element.get("action")

    def speech(self) -> str:
        """Everything the current reply says, in one string."""
        return " ".join(element.text or "" for element in self.twiml.iter("Say"))

    def params(self, form: dict[str, str]) -> dict[str, str]:
        """Every field Twilio posts for this call, with `form` added."""
        return {
            "CallSid": self.call_sid,
            "AccountSid": ACCOUNT_SID,
            "From": self.caller,
            "To": "+6236321234",
            "CallStatus": "in-progress",
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
            **form,
        }

    def signature(self, path: str, form: dict[str, str]) -> str:
        """What Twilio would put in X-Twilio-Signature for this request."""
        url = urljoin(PUBLIC_BASE_URL, path)
        return RequestValidator(self.token).compute_signature(url, self.params(form))

    def signed_post(self, path: str, form: dict[str, str], *, signature: str | None = None):
        if signature is None:
            signature = self.signature(path, form)
        return self.client.post(
            path, data=self.params(form), headers={"X-Twilio-Signature": signature}
        )

    def post(self, path: str, form: dict[str, str]) -> ET.Element:
        """Post to `path` as Twilio would (signed) and read the TwiML reply."""
        response = self.signed_post(path, form)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == "text/xml"
        self.twiml = ET.fromstring(response.data)
        assert self.twiml.tag == "Response"
        self.said.append(self.speech())
        return self.twiml
