"""docs/WEBHOOKS.md lists every field each webhook checks, with the shape the code checks."""

from __future__ import annotations

from pathlib import Path

from providers import (
    africastalking_sms,
    africastalking_ussd,
    africastalking_voice,
    android_sms,
    twilio_sms,
    twilio_voice,
)
from providers.edge import Field

DOC = Path(__file__).resolve().parents[2] / "docs" / "WEBHOOKS.md"
CHECKED = {
    "POST /twilio/sms": twilio_sms.SMS_FIELDS,
    "POST /twilio/status": twilio_sms.STATUS_FIELDS,
    "POST /twilio/voice": twilio_voice.VOICE_FIELDS,
    "POST /africastalking/ussd": africastalking_ussd.USSD_FIELDS,
    "POST /africastalking/sms": africastalking_sms.SMS_FIELDS,
    "POST /africastalking/delivery": africastalking_sms.DELIVERY_FIELDS,
    "POST /africastalking/voice": africastalking_voice.VOICE_FIELDS,
    "POST /android/sms": android_sms.EVENT_FIELDS,
    "POST /android/sms, its payload": android_sms.PAYLOAD_FIELDS,
}


def section(route: str, fields: dict[str, Field]) -> str:
    """The part of the document about one webhook's fields, as the code checks them."""
    lines = [f"### {route}", ""]
    for name, field in fields.items():
        when = "always" if field.required else "when sent"
        lines.append(f"- `{name}` ({when}): `{field.shape.pattern}`")
    return "\n".join(lines) + "\n"


def test_the_document_lists_each_checked_field_with_its_shape():
    text = DOC.read_text(encoding="utf-8")
    missing = [section(r, f) for r, f in CHECKED.items() if section(r, f) not in text]
    assert not missing, "docs/WEBHOOKS.md should have:\n\n" + "\n".join(missing)
