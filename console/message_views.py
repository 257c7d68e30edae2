"""The console's messages: failed and dead SMS with a retry button; one number's SMS thread.

Phone numbers are shown masked to operators and whole to admins.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from console import blueprint, shown_phone, words
from console.views import LogoutForm
from domain.messaging import queries as messaging_queries
from domain.messaging.callbacks import retry_dead_call
from domain.messaging.outbox import retry
from domain.phones import InvalidPhone, normalize_phone
from web.current import current_database, current_settings, current_time


class RetryForm(FlaskForm):
    pass


@blueprint.get("/messages")
def messages() -> ResponseReturnValue:
    with current_database().readers() as session:
        troubled = messaging_queries.troubled_messages(session)
        return render_template(
            "console/messages.html",
            troubled=troubled,
            calls=messaging_queries.recent_calls(session),
            retry_form=RetryForm(),
            logout_form=LogoutForm(),
        )


@blueprint.post("/messages/<int:message_id>/retry")
def retry_message(message_id: int) -> ResponseReturnValue:
    with current_database().unit_of_work() as session:
        again = retry(session, message_id, now=current_time())
    flash(words("messages.retrying" if again else "messages.not_retryable"))
    return redirect(url_for("console.messages"))


CALL_RETRY_WORDS = {
    "retrying": "calls.retrying",
    "not_dead": "calls.not_retryable",
    "newer_waiting": "calls.newer_waiting",
}


@blueprint.post("/messages/calls/<int:call_id>/retry")
def retry_call(call_id: int) -> ResponseReturnValue:
    with current_database().unit_of_work() as session:
        outcome = retry_dead_call(session, call_id, now=current_time())
    flash(words(CALL_RETRY_WORDS[outcome]))
    return redirect(url_for("console.messages") + "#call-backs")


@blueprint.get("/messages/thread")
def thread() -> ResponseReturnValue:
    raw = request.args.get("phone", "").strip()
    try:
        phone = normalize_phone(raw, current_settings().phone_region)
    except InvalidPhone:
        flash(words("bad_phone", phone=raw[:40]))
        return redirect(url_for("console.messages"))
    with current_database().readers() as session:
        entries = messaging_queries.sms_thread(session, phone)
    return render_template(
        "console/thread.html",
        entries=entries,
        phone=shown_phone(phone),
        logout_form=LogoutForm(),
    )
