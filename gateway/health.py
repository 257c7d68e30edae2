"""`GET /healthz`: 200 when the database answers, 503 when it does not."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from gateway.database import current_database

blueprint = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@blueprint.get("/healthz")
def healthz():
    """Liveness and database check for load balancers and `make run`."""
    try:
        with current_database().readers() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        log.exception("health check: database does not answer")
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
