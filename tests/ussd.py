"""Posts exactly what Africa's Talking posts for a USSD session, and reads the reply."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask.testing import FlaskClient

USSD_PATH = "/africastalking/ussd"


@dataclass
class UssdSession:
    """One dialled session: every `press` sends the whole input history joined by `*`."""

    client: FlaskClient
    session_id: str = "ATUid_0001"
    phone: str = "+6281234567890"
    service_code: str = "*384*1234#"
    network_code: str = "51010"
    query: str = ""
    inputs: list[str] = field(default_factory=list)
    last: str = ""

    def dial(self) -> str:
        """The first request of the session (`text` is empty)."""
        return self._post("")

    def press(self, *values: str) -> str:
        """Type each value and send, one request per value; returns the last reply."""
        for value in values:
            self.inputs.append(value)
            self._post("*".join(self.inputs))
        return self.last

    def repeat(self) -> str:
        """Send the same request again, as a provider retry would."""
        return self._post("*".join(self.inputs))

    def _post(self, text: str) -> str:
        response = self.client.post(
            USSD_PATH + self.query,
            data={
                "sessionId": self.session_id,
                "serviceCode": self.service_code,
                "phoneNumber": self.phone,
                "networkCode": self.network_code,
                "text": text,
            },
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == "text/plain"
        self.last = response.get_data(as_text=True)
        assert self.last.startswith(("CON ", "END ")), self.last
        return self.last

    @property
    def ended(self) -> bool:
        return self.last.startswith("END ")


def option_key(screen: str, label_start: str) -> str:
    """The key of the option whose label starts with `label_start` (`"1. Tomat ..."` -> `"1"`)."""
    for line in screen.splitlines():
        key, sep, label = line.removeprefix("CON ").partition(". ")
        if sep and key.isdigit() and label.startswith(label_start):
            return key
    raise AssertionError(f"no option {label_start!r} in:\n{screen}")
