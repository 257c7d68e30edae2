"""The worker: sends the outbox, handles the inbox, sweeps the offers, never stops on its own.

Any number of workers may run on one database: each claims a message before it sends it
(domain/messaging/outbox.py). A failure while sending one message counts an attempt on that message
and the worker goes on; a failure of a whole pass (the database locked or gone) is logged,
and the worker backs off and tries again until it is stopped.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from conversations.sms_commands import handle_inbound
from domain.delivery.dispatch import SweepCount, sweep
from domain.delivery.policy import DispatchPolicy
from domain.messaging import queries as messaging_queries
from domain.messaging.callbacks import Caller, place_due_calls
from domain.messaging.inbox import note_failed_handling
from domain.messaging.outbox import OutboxPolicy, PassCount, Sender, deliver_due
from providers import twilio_sms
from providers.missed_calls import time_out_ringing
from providers.senders import make_callers
from providers.sms import sms_settings
from settings import Settings
from storage.clock import Clock
from storage.database import Database
from storage.models import InboundMessage, WorkerHeartbeat
from storage.retention import prune
from telemetry.metrics import WORKER_PASS_SECONDS

log = logging.getLogger(__name__)

# Seconds to wait after a failed pass: 1, 2, 5, ... then every 30 s until the fault is gone.
ERROR_BACKOFF_SECONDS = (1, 2, 5, 10, 30)
HEARTBEAT_EVERY = dt.timedelta(seconds=5)
PRUNE_EVERY = dt.timedelta(hours=1)  # old rows removed (storage/retention.py)
PAUSE_SLICE_SECONDS = 0.1

# Inbound words a provider answers itself: handled, but our own reply would be a second one.
ANSWERED_BY_PROVIDER: dict[str, Callable[[str], bool]] = {
    "twilio": twilio_sms.answers_itself,
}
# A provider's own opt-out and opt-in words (whole message).
PROVIDER_WORDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "twilio": (twilio_sms.OPT_OUT_WORDS, twilio_sms.OPT_IN_WORDS),
}


def pause(stop: threading.Event, seconds: float) -> None:
    """Wait `seconds`, or less if `stop` is set meanwhile.

    Short sleeps rather than `stop.wait(seconds)`: a timed wait on a lock is what clock
    fakers (libfaketime, which CI uses to run the suite years ahead) get wrong, and a stop
    is noticed within a tenth of a second all the same.
    """
    deadline = time.monotonic() + seconds
    while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
        time.sleep(min(PAUSE_SLICE_SECONDS, left))


def new_worker_id() -> str:
    """A name for this worker process, unique across machines and restarts."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class PassReport:
    """What one pass of the worker did."""

    outbox: PassCount
    inbox_handled: int = 0
    inbox_failed: int = 0
    dispatch: SweepCount = field(default_factory=SweepCount)
    calls: int = 0  # call backs now ringing
    calls_timed_out: int = 0  # rang with no word from the provider: taken as unanswered

    def summary(self) -> str | None:
        """One line for the operator, or None when the pass found nothing to do."""
        parts = []
        if self.outbox.sent or self.outbox.failed:
            parts.append(f"Outbox: {self.outbox.sent} sent, {self.outbox.failed} to retry.")
        if self.inbox_handled or self.inbox_failed:
            parts.append(f"Inbox: {self.inbox_handled} handled, {self.inbox_failed} to try again.")
        swept = self.dispatch
        if swept.offered or swept.reoffered or swept.unassigned:
            parts.append(
                f"Dispatch: {swept.offered} offered, {swept.reoffered} offered again, "
                f"{swept.unassigned} with no courier."
            )
        if self.calls:
            parts.append(f"Call backs: {self.calls} ringing.")
        if self.calls_timed_out:
            parts.append(f"Call backs: {self.calls_timed_out} unanswered (no word in time).")
        return " ".join(parts) or None


@dataclass
class Worker:
    """One worker process: its database, its sender, its clock."""

    database: Database
    sender: Sender
    settings: Settings
    clock: Clock
    worker_id: str = field(default_factory=new_worker_id)
    callers: dict[str, Caller] | None = None  # call backs (missed calls); None: from settings
    _last_beat: dt.datetime | None = None
    _last_prune: dt.datetime | None = None

    def run_once(self) -> PassReport:
        """One pass: say we are alive, handle the inbox, sweep the offers, send what is due
        (and once an hour remove old rows); timed (telepasar_worker_pass_duration_seconds)."""
        with WORKER_PASS_SECONDS.time():
            return self._pass()

    def _pass(self) -> PassReport:
        self._beat()
        report = PassReport(PassCount())
        with self.database.readers() as session:
            waiting = messaging_queries.due_inbound(session, self.clock())
        for message in waiting:  # first, so that their replies go out in this pass
            if self._handle(message):
                report.inbox_handled += 1
            else:
                report.inbox_failed += 1
        # Offers whose market opened, offers nobody took: before sending, so they go out now.
        report.dispatch = sweep(
            self.database.unit_of_work,
            now=self.clock(),
            policy=DispatchPolicy.from_settings(self.settings),
        )
        policy = OutboxPolicy(
            max_attempts=self.settings.outbox_max_attempts,
            lease=dt.timedelta(seconds=self.settings.outbox_lease_seconds),
            provider=self.settings.sms_provider,
            segment_price=self.settings.sms_prices.get(self.settings.sms_provider),
        )
        if self.settings.missed_call_enabled:
            report.calls_timed_out = time_out_ringing(self.database, self.settings, self.clock())
            if self.callers is None:
                self.callers = make_callers(self.settings)
            report.calls = place_due_calls(
                self.database.unit_of_work,
                self.callers,
                clock=self.clock,
                worker_id=self.worker_id,
            )
        report.outbox = deliver_due(
            self.database.unit_of_work,
            self.sender,
            clock=self.clock,
            policy=policy,
            worker_id=self.worker_id,
            records=self.database.relaxed_unit_of_work,
            alive=self._beat,  # a pass of slow sends is not a silent worker
        )
        self._prune()
        return report

    def _prune(self) -> None:
        """Old rows removed, at most once an hour (the first pass of a worker does it). A
        kind that fails is logged and tried again in an hour: it never holds up the SMS."""
        now = self.clock()
        if self._last_prune is not None and now - self._last_prune < PRUNE_EVERY:
            return
        self._last_prune = now
        removed, failed = prune(self.database, self.settings.retention_days(), now=now)
        if failed:
            log.error("retention: %s not removed; trying again in an hour", ", ".join(failed))
        if removed:
            said = ", ".join(f"{count} {kind}" for kind, count in removed.items())
            log.info("retention: removed %s (older than their RETAIN_*_DAYS)", said)

    def run(self, stop: threading.Event, echo: Callable[[str], None]) -> None:
        """Pass after pass until `stop` is set; a failed pass backs off, never ends the loop."""
        failures = 0
        while not stop.is_set():
            try:
                summary = self.run_once().summary()
            except Exception as exc:  # the database locked or gone, a bug: wait, try again
                failures += 1
                delay = ERROR_BACKOFF_SECONDS[min(failures, len(ERROR_BACKOFF_SECONDS)) - 1]
                log.error(
                    "worker pass failed (%d in a row), trying again in %d s: %s: %s",
                    failures,
                    delay,
                    type(exc).__name__,
                    exc,
                )
                pause(stop, delay)
                continue
            if failures:
                log.info("worker pass succeeded again after %d failures", failures)
                failures = 0
            if summary:
                echo(summary)
            pause(stop, self.settings.worker_poll_seconds)

    def _handle(self, message: InboundMessage) -> bool:
        """Handle one stored SMS the web request could not; False when it failed again."""
        answered = ANSWERED_BY_PROVIDER.get(message.provider, lambda body: False)
        opt_out, opt_in = PROVIDER_WORDS.get(message.provider, (frozenset(), frozenset()))
        channel = sms_settings(
            self.settings,
            reply_via_outbox=not answered(message.body),
            opt_out_words=opt_out,
            opt_in_words=opt_in,
        )
        now = self.clock()
        try:
            self.database.run(
                lambda session: handle_inbound(session, message.id, channel=channel, now=now)
            )
            return True
        except Exception as exc:
            log.exception("SMS %s from the inbox could not be handled", message.id)
            error = f"{type(exc).__name__}: {exc}"
        self.database.run(
            lambda session: note_failed_handling(
                session,
                message.id,
                error,
                now=now,
                max_attempts=self.settings.outbox_max_attempts,
            )
        )
        return False

    def _beat(self) -> None:
        """Record that this worker is alive (at most every few seconds)."""
        now = self.clock()
        if self._last_beat is not None and now - self._last_beat < HEARTBEAT_EVERY:
            return
        with self.database.unit_of_work() as session:
            beat = session.get(WorkerHeartbeat, self.worker_id)
            if beat is None:  # this worker's first beat (workers long gone: storage/retention.py)
                session.add(WorkerHeartbeat(worker_id=self.worker_id, started_at=now, beat_at=now))
            else:
                beat.beat_at = now
        self._last_beat = now
