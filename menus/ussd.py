"""Africa's Talking USSD `text` arithmetic: what the caller typed since the last request.

Africa's Talking sends the whole input history joined by `*` ("", "1", "1*2", ...). The new
input is what follows the previous `text` of the same session; a repeated request has
nothing new.
"""

from __future__ import annotations

SEPARATOR = "*"


def new_inputs(previous: str | None, text: str) -> list[str]:
    """The inputs to apply for this request, oldest first.

    `previous` is None for a session we have not seen: then every part of `text` is new
    (a caller may dial a shortcut such as *123*1#). An unexpected history (not an extension
    of the previous one) yields its last part only, so we never replay old inputs twice.
    """
    if previous is None:
        return text.split(SEPARATOR) if text else []
    if text == previous:
        return []
    if previous == "":
        return [text]
    if text.startswith(previous + SEPARATOR):
        return [text[len(previous) + 1 :]]
    return [text.rsplit(SEPARATOR, 1)[-1]]
