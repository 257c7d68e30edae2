"""Webhook checks shared by the providers that do not sign their requests."""

from __future__ import annotations

import hmac
import logging
import re

from flask import abort, request
from twilio.request_validator import RequestValidator

from web.current import current_settings, current_time

log = logging.getLogger(__name__)
ANDROID_TIMESTAMP = re.compile(r"[0-9]{1,12}")
ANDROID_MAX_AGE_SECONDS = 300
# Twilio's connection overrides: retry a webhook 3 times on a connect or read timeout or a
# 5xx (what `/twilio/sms` answers when it could not store a message).
TWILIO_RETRY_FRAGMENT = "#rc=3&rp=ct,rt,5xx"


def _unchecked(secret: str) -> bool:
    """True when there is no secret to check a request with and that is allowed (the demo).

    In production a provider whose secret is unset answers 403 to everyone: the settings
    check refuses to start only for the providers that are configured, and a webhook of any
    other provider must not become an open door.
    """
    if secret:
        return False
    if current_settings().in_production:
        log.warning("%s refused: its provider's webhook secret is not set", request.path)
        abort(403)
    return True


def require_url_token(expected: str) -> None:
    """Abort with 403 unless `?token=` equals `expected` (constant-time).

    Unset, anything passes in the demo and nothing in production.
    """
    if _unchecked(expected):
        return
    given = request.args.get("token", "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        abort(403)


def require_twilio_signature() -> None:
    """Abort with 403 unless Twilio signed this request (TWILIO_AUTH_TOKEN; see _unchecked).

    The URL Twilio signed is rebuilt from PUBLIC_BASE_URL: behind a proxy the app itself
    sees another scheme and host. Every posted parameter is passed to the validator.
    """
    settings = current_settings()
    if _unchecked(settings.twilio_auth_token):
        return
    url = settings.public_base_url.rstrip("/") + request.full_path.rstrip("?")
    signature = request.headers.get("X-Twilio-Signature", "")
    validator = RequestValidator(settings.twilio_auth_token)
    # The README registers the SMS webhooks with TWILIO_RETRY_FRAGMENT so that Twilio
    # retries a 5xx; the fragment never reaches us, and whether Twilio signs the URL with or
    # without it is not documented: either signature is Twilio's.
    if not any(
        validator.validate(signed_url, request.form, signature)
        for signed_url in (url, url + TWILIO_RETRY_FRAGMENT)
    ):
        log.warning("Twilio request with a bad signature refused (%s)", request.path)
        abort(403)


def require_android_signature(key: str) -> None:
    """Abort with 403 unless `X-Signature` is the HMAC-SHA256 of body + `X-Timestamp` (fresh).

    SMS Gateway for Android signs its webhooks with the key set on the phone; a timestamp
    older or newer than five minutes is refused, so a captured request cannot be replayed.
    An unset key: see _unchecked.
    """
    if _unchecked(key):
        return
    timestamp = request.headers.get("X-Timestamp", "")
    signature = request.headers.get("X-Signature", "")
    now = current_time().timestamp()
    # At most 12 ASCII digits: `isdigit()` also passes "²", and int() of 5,000 digits fails.
    if (
        not ANDROID_TIMESTAMP.fullmatch(timestamp)
        or abs(now - int(timestamp)) > ANDROID_MAX_AGE_SECONDS
    ):
        abort(403)
    expected = hmac.new(key.encode(), request.get_data() + timestamp.encode(), "sha256")
    given = signature.strip().lower().encode("utf-8", "surrogateescape")
    if not hmac.compare_digest(expected.hexdigest().encode(), given):  # bytes: any header
        abort(403)
