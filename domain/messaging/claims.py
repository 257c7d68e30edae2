"""Claiming work rows for one worker: outbox SMS and call backs are claimed the same way."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Row, and_, or_, select, update
from sqlalchemy.orm import Session


def claim_due(
    session: Session,
    model: Any,
    *,
    now: dt.datetime,
    worker_id: str,
    lease: dt.timedelta,
    claimed_state: str,
    returning: tuple[Any, ...],
    limit: int = 1,
    count_try: bool = True,
    **values: Any,
) -> list[Row]:
    """Move the `limit` oldest due rows of `model` to `claimed_state` for `worker_id`; their
    `returning`, in the order of their ids (`returning` starts with the id).

    `count_try`: add one to their `attempts` (or leave that to whoever starts each one).
    Due: `pending` and `next_try_at` passed, or claimed by a worker whose lease ran out. One
    conditional UPDATE, so two workers never hold one row; on PostgreSQL the rows are picked
    with `FOR UPDATE SKIP LOCKED` (workers pass each other by); SQLite has one writer.
    """
    due = or_(
        and_(model.state == "pending", model.next_try_at <= now),
        and_(model.state == claimed_state, model.lease_until <= now),
    )
    # Picked once, in a materialized CTE: `id IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)`
    # may be run again for each row PostgreSQL looks at, and so claim more than n.
    picked = (
        select(model.id)
        .where(due)
        .order_by(model.next_try_at, model.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("picked")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    rows = session.execute(
        update(model)
        .where(model.id == picked.c.id, due)
        .values(
            state=claimed_state,
            claimed_by=worker_id,
            lease_until=now + lease,
            **({"attempts": model.attempts + 1} if count_try else {}),
            **values,
        )
        .returning(*returning)
        .execution_options(synchronize_session=False)
    ).all()
    return sorted(rows, key=lambda row: row[0])  # RETURNING keeps no order
