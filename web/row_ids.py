"""Row ids in URLs and forms: what can name a row of ours, and what never reaches the driver."""

from __future__ import annotations

import re
from typing import Any

from werkzeug.routing import IntegerConverter, Map

# The largest id a row of ours can have: the primary keys are INTEGER, 32 bits on PostgreSQL
# (SQLite's are 64). A bigger id names no row and must never reach the driver, which refuses
# it with an error of its own.
MAX_ROW_ID = 2**31 - 1
ROW_ID = re.compile(r"[0-9]{1,19}")


def row_id(text: str | None) -> int | None:
    """An id from a URL or a form, or None when it cannot name a row."""
    if text is None or not ROW_ID.fullmatch(text):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ROW_ID else None


class RowIdConverter(IntegerConverter):
    """`<int:...>` in every route: an id beyond MAX_ROW_ID is a 404, like any id of no row."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ROW_ID)
        super().__init__(url_map, *args, **kwargs)
