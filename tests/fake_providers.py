"""A fake of the three SMS providers' send APIs, served on 127.0.0.1 for the real SDKs.

It answers as Twilio, Africa's Talking and SMS Gateway for Android answer (the fields their
SDKs read), records what it was sent, and can be told to misbehave: fail the next requests
(`fail_next`), hang on them longer than a client waits (`hang_next`, `hang_seconds`), answer
them with something that is not JSON (`garble_next`), or be slow on every one (`delay`).
"""

from __future__ import annotations

import base64
import itertools
import threading
import time
from collections import Counter
from dataclasses import dataclass, field, replace

from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from settings import Settings

TWILIO_SID, TWILIO_TOKEN = "AC00000000000000000000000000000001", "twilio-auth-token"
AT_USERNAME, AT_API_KEY = "telepasar", "at-api-key"
ANDROID_USER, ANDROID_PASSWORD = "telepasar", "android-password"


@dataclass
class Received:
    provider: str
    to: str
    body: str
    sender: str | None = None


@dataclass
class FakeProviders:
    """The fake server: `url` to point the SDKs at, `received` to check, `fail_next` to break."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    calls: list[dict[str, str]] = field(default_factory=list)  # calls asked for, as posted
    fail_next: int = 0
    hang_next: int = 0
    hang_seconds: float = 3.0
    garble_next: int = 0
    delay: float = 0.0
    _ids = itertools.count(1)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _take(self, name: str) -> bool:
        """Whether this request gets the fault `name` (counted down, thread-safe)."""
        with self._lock:
            if getattr(self, name) > 0:
                setattr(self, name, getattr(self, name) - 1)
                return True
            return False

    def failing(self) -> bool:
        """Whether to misbehave on this request; hangs and slowness happen here too."""
        if self.delay:
            time.sleep(self.delay)
        if self._take("hang_next"):
            time.sleep(self.hang_seconds)
            return True
        return self._take("fail_next")

    def garbling(self) -> bool:
        return self._take("garble_next")

    def bodies(self) -> Counter[str]:
        """How many times each text was received."""
        with self._lock:
            return Counter(message.body for message in self.received)

    def record(self, message: Received) -> None:
        with self._lock:
            self.received.append(message)

    def app(self) -> Flask:
        app = Flask("fake_providers")

        @app.post("/2010-04-01/Accounts/<sid>/Messages.json")
        def twilio_messages(sid: str):
            if _basic_auth() != (TWILIO_SID, TWILIO_TOKEN) or sid != TWILIO_SID:
                return jsonify(code=20003, message="Authenticate", status=401), 401
            if self.failing():
                return jsonify(code=20500, message="Internal Server Error", status=500), 500
            if self.garbling():  # a proxy's error page: the SDK cannot read it
                return "<html>Bad Gateway</html>", 201
            form = request.form
            self.record(Received("twilio", form["To"], form["Body"], form.get("From")))
            sid = f"SM{next(self._ids):032d}"
            return jsonify(
                sid=sid,
                status="queued",
                to=form["To"],
                body=form["Body"],
                **{"from": form.get("From")},
            ), 201

        @app.post("/2010-04-01/Accounts/<sid>/Calls.json")
        def twilio_calls(sid: str):
            if _basic_auth() != (TWILIO_SID, TWILIO_TOKEN) or sid != TWILIO_SID:
                return jsonify(code=20003, message="Authenticate", status=401), 401
            if self.failing():
                return jsonify(code=20500, message="Internal Server Error", status=500), 500
            call_sid = f"CA{next(self._ids):032x}"
            with self._lock:
                self.calls.append({"provider": "twilio", "sid": call_sid, **request.form})
            form = request.form
            return jsonify(
                sid=call_sid, status="queued", to=form["To"], **{"from": form.get("From")}
            ), 201

        @app.post("/call")
        def africastalking_call():
            form = request.form
            if request.headers.get("apiKey") != AT_API_KEY or form.get("username") != AT_USERNAME:
                return "The supplied authentication is invalid", 401
            if self.failing():
                return "Internal error", 500
            session_id = f"ATVId_{next(self._ids)}"
            with self._lock:
                self.calls.append({"provider": "africastalking", "sid": session_id, **form})
            entry = {"phoneNumber": form["to"], "sessionId": session_id, "status": "Queued"}
            return jsonify(entries=[entry], errorMessage="None")

        @app.post("/version1/messaging")
        def africastalking_messaging():
            form = request.form
            if request.headers.get("apiKey") != AT_API_KEY or form.get("username") != AT_USERNAME:
                return "The supplied authentication is invalid", 401
            if self.failing():
                return "Internal error", 500
            self.record(Received("africastalking", form["to"], form["message"], form.get("from")))
            recipient = {
                "statusCode": 101,
                "number": form["to"],
                "status": "Success",
                "cost": "IDR 250.0000",
                "messageId": f"ATXid_{next(self._ids)}",
            }
            return jsonify(SMSMessageData={"Message": "Sent to 1/1", "Recipients": [recipient]})

        @app.post("/3rdparty/v1/messages")
        def android_messages():
            if _basic_auth() != (ANDROID_USER, ANDROID_PASSWORD):
                return jsonify(message="Unauthorized"), 401
            if self.failing():
                return jsonify(message="phone offline"), 503
            payload = request.get_json()
            number = payload["phoneNumbers"][0]
            self.record(Received("android", number, payload["textMessage"]["text"]))
            return jsonify(
                id=f"msg-{next(self._ids)}",
                state="Pending",
                recipients=[{"phoneNumber": number, "state": "Pending"}],
            ), 202

        return app


def _basic_auth() -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    return user, password


def pointed_at(fake: FakeProviders, settings: Settings) -> Settings:
    """`settings` with every provider's SDK given credentials and sent to `fake`."""
    return replace(
        settings,
        twilio_account_sid=TWILIO_SID,
        twilio_auth_token=TWILIO_TOKEN,
        twilio_from_number="+15005550006",
        twilio_api_base_url=fake.url,
        at_username=AT_USERNAME,
        at_api_key=AT_API_KEY,
        at_api_base_url=fake.url,
        at_voice_api_base_url=fake.url,
        callback_caller_id="+6236322100",
        android_gateway_url=f"{fake.url}/3rdparty/v1",
        android_gateway_user=ANDROID_USER,
        android_gateway_password=ANDROID_PASSWORD,
    )


def serve() -> tuple[FakeProviders, callable]:
    """Start the fake on a free port of 127.0.0.1; returns it and a function that stops it."""
    fake = FakeProviders()
    server = make_server("127.0.0.1", 0, fake.app(), threaded=True)
    fake.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return fake, stop
