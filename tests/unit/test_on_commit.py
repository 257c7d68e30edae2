"""`on_commit`: a fact a transaction writes is counted when it commits, and only then."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from telemetry.metrics import on_commit


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
    with Session(engine) as session:
        yield session
    engine.dispose()


def test_counted_when_the_transaction_commits(session):
    counted = []
    on_commit(session, lambda: counted.append("placed"))
    assert counted == []  # not before

    session.commit()

    assert counted == ["placed"]


def test_never_counted_when_it_rolls_back_nor_at_a_later_commit(session):
    counted = []
    on_commit(session, lambda: counted.append("rolled back"))
    session.rollback()
    on_commit(session, lambda: counted.append("closed"))
    session.close()

    session.commit()

    assert counted == []


def test_a_failed_savepoint_drops_only_what_was_counted_inside_it(session):
    counted = []
    session.execute(text("INSERT INTO t (id) VALUES (1)"))
    on_commit(session, lambda: counted.append("before"))
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            on_commit(session, lambda: counted.append("inside"))
            session.execute(text("INSERT INTO t (id) VALUES (1)"))
    with session.begin_nested():
        on_commit(session, lambda: counted.append("released"))
    on_commit(session, lambda: counted.append("after"))

    session.commit()

    assert counted == ["before", "released", "after"]


def test_a_released_savepoint_counts_nothing_before_the_commit(session):
    counted = []
    on_commit(session, lambda: counted.append("outer"))
    with session.begin_nested():
        on_commit(session, lambda: counted.append("inner"))
    assert counted == []  # released: the transaction goes on

    session.rollback()
    session.commit()

    assert counted == []  # and it rolled back after all
