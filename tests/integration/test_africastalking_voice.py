"""Voice ordering through `/africastalking/voice`: the same call, in its XML, with played audio."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Order, OutboundMessage
from tests.integration.conftest import COURIER_ON_DUTY
from tests.voice import PUBLIC_BASE_URL, spoken_digits

# Orders here are offered to a courier, as in a market with couriers at work.
pytestmark = pytest.mark.usefixtures("courier_on_duty")

TOKEN = "at-voice-token"
CALL_CENTER = "+6236322000"
RECORDING = "https://voice.africastalking.com/recordings/abc.mp3"


@dataclass
class AtCall:
    """One Africa's Talking call: post, parse, follow `callbackUrl`."""

    client: object
    caller: str = "+6281234567890"
    session_id: str = "ATVId_0001"
    xml: ET.Element | None = None
    heard: list[str] = field(default_factory=list)

    def start(self) -> ET.Element:
        return self._post(f"/africastalking/voice?token={TOKEN}", {})

    def press(self, digits: str) -> ET.Element:
        return self._post(
            self._path(self.xml.find("GetDigits").get("callbackUrl")), {"dtmfDigits": digits}
        )

    def record(self) -> ET.Element:
        return self._post(
            self._path(self.xml.find("Record").get("callbackUrl")),
            {"recordingUrl": RECORDING, "dtmfDigits": "#"},
        )

    def silence(self) -> ET.Element:
        return self._post(self._path(self.xml.find("Redirect").text), {})

    def played(self) -> list[str]:
        """The audio files played, as `<kind>/<name>` (`words/sembilan`, `prompts/...`)."""
        return [
            "/".join(urlsplit(play.get("url")).path.split("/")[-2:]).removesuffix(".wav")
            for play in self.xml.iter("Play")
        ]

    def _path(self, url: str) -> str:
        assert url.startswith(PUBLIC_BASE_URL), url
        parts = urlsplit(url)
        return f"{parts.path}?{parts.query}"

    def _post(self, path: str, form: dict[str, str]) -> ET.Element:
        data = {
            "isActive": "1",
            "sessionId": self.session_id,
            "direction": "Inbound",
            "callerNumber": self.caller,
            "destinationNumber": "+6236321234",
            **form,
        }
        response = self.client.post(path, data=data)
        assert response.status_code == 200, response.get_data(as_text=True)
        self.xml = ET.fromstring(response.data)
        assert self.xml.tag == "Response"
        return self.xml


@pytest.fixture
def at_app(settings, make_app, synthesized_audio):
    return make_app(
        replace(
            settings,
            at_webhook_token=TOKEN,
            public_base_url=PUBLIC_BASE_URL,
            call_center_number=CALL_CENTER,
            audio_dir=str(synthesized_audio),
        )
    )


def words_of(played: list[str]) -> list[str]:
    return [item.split("/", 1)[1] for item in played if item.startswith("words/")]


def test_a_whole_call_in_indonesian_is_played_audio_and_places_the_order(at_app, db: Session):
    client = at_app.test_client()
    call = AtCall(client)
    call.start()
    assert call.xml.find("GetDigits").get("numDigits") == "1"
    for digits in ("1", "1", "1", "2"):  # Indonesian, Pasar Amlapura Barat, Bu Komang, Bayam
        call.press(digits)
    assert call.xml.find("GetDigits").get("finishOnKey") == "#"  # the quantity ends with #
    call.press("3")
    call.press("3")  # checkout
    assert call.xml.find("Record") is not None
    call.record()
    summary_words = words_of(call.played())
    assert "sembilan belas ribu rupiah" in " ".join(summary_words)  # the total, in words
    call.press("1")

    order = db.scalars(select(Order)).one()
    assert order.delivery_address_recording_url == RECORDING and order.channel == "voice"
    spoken = " ".join(words_of(call.played()))
    number = spoken_digits(order.number, " ")
    assert spoken.count(number) == 2  # read digit by digit, twice
    assert call.xml.find("Say") is None  # Indonesian is never read by the English voice
    for play in call.xml.iter("Play"):  # every clip is there to be fetched
        with client.get(urlsplit(play.get("url")).path) as fetched:
            assert fetched.status_code == 200 and fetched.data[:4] == b"RIFF"
    # The caller's confirmation, and the offer to the courier on duty.
    assert db.scalars(select(OutboundMessage.to).order_by(OutboundMessage.id)).all() == [
        "+6281234567890",
        COURIER_ON_DUTY,
    ]


def test_english_is_said_not_played(at_app):
    call = AtCall(at_app.test_client())
    call.start()
    call.press("3")  # English
    assert call.xml.find(".//Play") is None
    assert "Choose a market:" in [say.text for say in call.xml.iter("Say")]


def test_silence_three_times_and_zero_lead_to_a_person(at_app):
    call = AtCall(at_app.test_client())
    call.start()
    for _ in range(3):
        call.silence()
    assert call.xml.find("Dial").get("phoneNumbers") == CALL_CENTER
    other = AtCall(at_app.test_client(), session_id="ATVId_0002", caller="+6281234567891")
    other.start()
    other.press("0")
    assert other.xml.find("Dial").get("phoneNumbers") == CALL_CENTER


def test_the_end_of_a_call_is_acknowledged_with_nothing_to_say(at_app):
    response = at_app.test_client().post(
        f"/africastalking/voice?token={TOKEN}",
        data={
            "isActive": "0",
            "sessionId": "ATVId_0001",
            "callerNumber": "+6281234567890",
            "durationInSeconds": "42",
        },
    )
    assert response.status_code == 200
    assert ET.fromstring(response.data).findall("*") == []


@pytest.mark.parametrize("query", ["", "?token=wrong"])
def test_the_token_is_required(at_app, query):
    response = at_app.test_client().post(f"/africastalking/voice{query}", data={"isActive": "1"})
    assert response.status_code == 403


def test_every_callback_url_carries_the_token(at_app):
    call = AtCall(at_app.test_client())
    call.start()
    for url in (call.xml.find("GetDigits").get("callbackUrl"), call.xml.find("Redirect").text):
        assert re.search(rf"[?&]token={TOKEN}(&|$)", url), url


def test_without_synthesized_audio_each_prompt_is_said_whole(settings, make_app, tmp_path):
    app = make_app(
        replace(
            settings,
            at_webhook_token=TOKEN,
            public_base_url=PUBLIC_BASE_URL,
            audio_dir=str(tmp_path / "none"),
        )
    )
    call = AtCall(app.test_client())
    call.start()
    said = [say.text for say in call.xml.iter("Say")]
    assert "Bahasa Indonesia, tekan satu." in said
    assert call.xml.find(".//Play") is None
