"""Webhook checks shared by the providers that do not sign their requests."""

from __future__ import annotations

import hmac

from flask import abort, request


def require_url_token(expected: str) -> None:
    """Abort with 403 unless `?token=` equals `expected` (constant-time); no-op when unset."""
    if not expected:
        return
    given = request.args.get("token", "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        abort(403)
