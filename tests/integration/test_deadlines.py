"""A webhook answers within the provider's deadline even when the database cannot be written:
after DATABASE_LOCK_WAIT_SECONDS (twice: the unit of work is tried again once) the caller
gets the apology, never a hang into Twilio's or Africa's Talking's 15-second cut-off."""

from __future__ import annotations

from dataclasses import replace

from tests.db_faults import write_lock_held
from tests.ussd import UssdSession
from tests.voice import PUBLIC_BASE_URL, TWILIO_AUTH_TOKEN, TwilioCall


def test_ussd_and_voice_apologise_when_the_database_stays_locked(settings, make_app, caplog):
    impatient = replace(
        settings,
        database_lock_wait_seconds=0.5,
        public_base_url=PUBLIC_BASE_URL,
        twilio_auth_token=TWILIO_AUTH_TOKEN,
        at_webhook_token="at-token",
    )
    client = make_app(impatient).test_client()
    with write_lock_held(impatient):
        dialled = UssdSession(client, query="?token=at-token").dial()
        call = TwilioCall(client)
        call.start()

    assert dialled.startswith("END Maaf, ")  # a clean end of the session, not an HTTP error
    assert call.speech().startswith("Maaf") and call.twiml.find("Hangup") is not None
    assert "failed" in caplog.text  # logged for the team, with the number masked
    assert "81234567890" not in caplog.text
