"""The outbox queue on every backend: claims, leases, outcomes and the admins' notices."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from desk.clock import FixedClock
from storage.database import unit_of_work
from storage.models import OutboxMessage, Person
from storage.outbox import OutboxQueue, QueuedMessage, queue, write_queued

LEASE = timedelta(seconds=60)
CHANNELS = ("telegram", "slack")


def _message(
    key: str, due: datetime, channel: str = "telegram", status: str = "pending"
) -> OutboxMessage:
    return OutboxMessage(
        key=key,
        channel=channel,
        address=f"chat-{key}",
        template="notify/reminder",
        payload={"context": {"number": "INC-1"}, "buttons": []},
        status=status,
        due_at=due,
        created_at=due,
    )


def _add(engine: Engine, *messages: OutboxMessage) -> None:
    with unit_of_work(engine) as session:
        session.add_all(messages)


def _row(engine: Engine, key: str) -> OutboxMessage:
    with Session(engine) as session:
        return session.exec(select(OutboxMessage).where(OutboxMessage.key == key)).one()


def _claim(
    engine: Engine, now: datetime, limit: int = 10, channels: tuple[str, ...] = CHANNELS
) -> list[str]:
    with unit_of_work(engine) as session:
        return [row.key for row in OutboxQueue(session).claim_due(channels, now, limit, LEASE)]


def _person(email: str, roles: list[str], now: datetime, *, active: bool = True) -> Person:
    name = email.split("@", maxsplit=1)[0]
    return Person(
        email=email, name=name, roles=roles, active=active, created_at=now, updated_at=now
    )


def test_claim_takes_due_rows_of_the_channels_oldest_first(
    engine: Engine, clock: FixedClock
) -> None:
    now = clock.now()
    _add(
        engine,
        _message("later", now - timedelta(seconds=1)),
        _message("earlier", now - timedelta(seconds=2)),
        _message("slack", now - timedelta(seconds=3), channel="slack"),
        _message("future", now + timedelta(seconds=1)),
        _message("email", now - timedelta(seconds=9), channel="email"),
        _message("done", now - timedelta(seconds=9), status="sent"),
        _message("dead", now - timedelta(seconds=9), status="failed"),
    )

    claimed = _claim(engine, now)

    assert claimed == ["slack", "earlier", "later"]
    row = _row(engine, "earlier")
    assert (row.status, row.due_at, row.attempts) == ("sending", now + LEASE, 1)
    assert _row(engine, "future").status == "pending"
    assert _row(engine, "email").status == "pending"


def test_claim_takes_no_more_than_the_limit(engine: Engine, clock: FixedClock) -> None:
    now = clock.now()
    _add(engine, *(_message(f"m{n}", now - timedelta(seconds=10 - n)) for n in range(5)))

    assert _claim(engine, now, limit=2) == ["m0", "m1"]
    assert _claim(engine, now, limit=2) == ["m2", "m3"]
    assert _claim(engine, now, limit=0) == []


def test_console_rows_are_never_claimed(engine: Engine, clock: FixedClock) -> None:
    now = clock.now()
    _add(engine, _message("console", now - timedelta(seconds=1), channel="console"))

    assert _claim(engine, now, channels=("console", "telegram")) == []
    assert _row(engine, "console").status == "pending"


def test_a_leased_row_is_claimed_again_only_after_its_lease_expires(
    engine: Engine, clock: FixedClock
) -> None:
    now = clock.now()
    _add(engine, _message("m", now))
    assert _claim(engine, now) == ["m"]

    assert _claim(engine, now) == []
    assert _claim(engine, now + LEASE - timedelta(seconds=1)) == []
    assert _claim(engine, now + LEASE) == ["m"]

    row = _row(engine, "m")
    assert (row.status, row.attempts, row.due_at) == ("sending", 2, now + 2 * LEASE)


def test_outcomes_move_a_claimed_row_on(engine: Engine, clock: FixedClock) -> None:
    now = clock.now()
    later = now + timedelta(seconds=30)
    _add(engine, *(_message(key, now) for key in ("sent", "retry", "release", "failed")))
    _claim(engine, now)

    with unit_of_work(engine) as session:
        queue = OutboxQueue(session)
        ids = {key: _row(engine, key).id or 0 for key in ("sent", "retry", "release", "failed")}
        assert queue.mark_sent(ids["sent"], now)
        assert queue.retry_later(ids["retry"], later, "502 bad gateway", attempt=1)
        assert queue.release(ids["release"], later, attempt=1)
        assert queue.mark_failed(ids["failed"], now, "x" * 5000)

    sent = _row(engine, "sent")
    assert (sent.status, sent.sent_at) == ("sent", now)
    retry = _row(engine, "retry")
    assert (retry.status, retry.due_at, retry.attempts) == ("pending", later, 1)
    assert retry.last_error == "502 bad gateway"
    release = _row(engine, "release")
    assert (release.status, release.due_at, release.attempts) == ("pending", later, 0)
    failed = _row(engine, "failed")
    assert (failed.status, failed.last_error) == ("failed", "x" * 1000)


def test_the_outcome_of_a_claim_that_was_taken_over_is_ignored(
    engine: Engine, clock: FixedClock
) -> None:
    now = clock.now()
    _add(engine, _message("m", now))
    _claim(engine, now)
    _claim(engine, now + LEASE)
    row_id = _row(engine, "m").id or 0

    with unit_of_work(engine) as session:
        queue = OutboxQueue(session)
        retried = queue.retry_later(row_id, now, "timeout", attempt=1)
        released = queue.release(row_id, now, attempt=1)
        failed = queue.mark_failed(row_id, now, "timeout", attempt=1)

    assert (retried, released, failed) == (False, False, False)
    row = _row(engine, "m")
    assert (row.status, row.attempts, row.last_error) == ("sending", 2, None)


def test_a_sent_row_stays_sent(engine: Engine, clock: FixedClock) -> None:
    now = clock.now()
    _add(engine, _message("m", now))
    _claim(engine, now)
    row_id = _row(engine, "m").id or 0

    with unit_of_work(engine) as session:
        queue = OutboxQueue(session)
        first = queue.mark_sent(row_id, now)
        second = queue.mark_sent(row_id, now + LEASE)
        retried = queue.retry_later(row_id, now, "late news")

    assert (first, second, retried) == (True, False, False)
    row = _row(engine, "m")
    assert (row.status, row.sent_at) == ("sent", now)


def test_count_by_status(engine: Engine, clock: FixedClock) -> None:
    now = clock.now()
    _add(
        engine,
        _message("a", now),
        _message("b", now),
        _message("c", now + LEASE),
        _message("d", now, status="sent"),
    )
    _claim(engine, now, limit=1)

    with Session(engine) as session:
        counts = OutboxQueue(session).count_by_status()

    assert counts == {"pending": 2, "sending": 1, "sent": 1}


def test_each_active_admin_is_told_of_a_failure_once(engine: Engine, clock: FixedClock) -> None:
    now = clock.now()
    with unit_of_work(engine) as session:
        session.add_all(
            [
                _person("ada@example.com", ["admin"], now),
                _person("bob@example.com", ["agent", "admin"], now),
                _person("cy@example.com", ["agent"], now),
                _person("dee@example.com", ["administrator"], now),
                _person("eve@example.com", ["admin"], now, active=False),
            ]
        )
    _add(engine, _message("reminder:7", now))
    failed = _row(engine, "reminder:7")

    with unit_of_work(engine) as session:
        first = OutboxQueue(session).queue_failure_notices(failed, now, "chat not found")
    with unit_of_work(engine) as session:
        second = OutboxQueue(session).queue_failure_notices(failed, now, "chat not found")

    assert (first, second) == (2, 0)
    with Session(engine) as session:
        admins = session.exec(
            select(Person)
            .where(col(Person.email).in_(["ada@example.com", "bob@example.com"]))
            .order_by(col(Person.id))
        ).all()
        notices = session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.channel == "console")
            .order_by(col(OutboxMessage.recipient_id))
        ).all()
    assert [n.key for n in notices] == [f"delivery_failed:reminder:7:{a.id}" for a in admins]
    assert [n.address for n in notices] == ["ada@example.com", "bob@example.com"]
    notice = notices[0]
    assert (notice.template, notice.status, notice.due_at) == (
        "notify/delivery_failed",
        "pending",
        now,
    )
    assert notice.payload == {
        "context": {
            "channel": "telegram",
            "address": "chat-reminder:7",
            "message_template": "notify/reminder",
            "error": "chat not found",
            "key": "reminder:7",
        },
        "buttons": [],
    }


def test_a_notice_key_too_long_for_the_column_is_shortened(
    engine: Engine, clock: FixedClock
) -> None:
    now = clock.now()
    with unit_of_work(engine) as session:
        session.add(_person("ada@example.com", ["admin"], now))
    _add(engine, _message("k" * 200, now))
    failed = _row(engine, "k" * 200)

    with unit_of_work(engine) as session:
        queued = OutboxQueue(session).queue_failure_notices(failed, now, "chat not found")

    with Session(engine) as session:
        notice = session.exec(
            select(OutboxMessage).where(OutboxMessage.channel == "console")
        ).one()
    assert queued == 1
    assert len(notice.key) <= 200
    assert notice.key.startswith("delivery_failed:")
    assert notice.payload["context"]["key"] == "k" * 200


def _postgres_only(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time; row locks are PostgreSQL's")


def test_two_open_claims_on_postgresql_skip_each_others_rows(
    engine: Engine, clock: FixedClock
) -> None:
    _postgres_only(engine)
    now = clock.now()
    _add(engine, *(_message(f"m{n:02}", now) for n in range(10)))

    with unit_of_work(engine) as first, unit_of_work(engine) as second:
        # The first transaction still holds its row locks while the second claims.
        mine = [row.key for row in OutboxQueue(first).claim_due(CHANNELS, now, 4, LEASE)]
        theirs = [row.key for row in OutboxQueue(second).claim_due(CHANNELS, now, 10, LEASE)]

    assert mine == [f"m{n:02}" for n in range(4)]
    assert theirs == [f"m{n:02}" for n in range(4, 10)]


def test_racing_claimers_on_postgresql_never_share_a_row(
    engine: Engine, clock: FixedClock
) -> None:
    _postgres_only(engine)
    now = clock.now()
    keys = [f"m{n:03}" for n in range(120)]
    _add(engine, *(_message(key, now) for key in keys))
    claims: list[list[str]] = [[] for _ in range(4)]
    start = threading.Barrier(len(claims))

    def claim_until_empty(mine: list[str]) -> None:
        start.wait()
        while batch := _claim(engine, now, limit=7):
            mine.extend(batch)

    threads = [threading.Thread(target=claim_until_empty, args=(mine,)) for mine in claims]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    everything = [key for mine in claims for key in mine]
    assert sorted(everything) == keys


def _queued(key: str, now: datetime, template: str = "notify/progress") -> QueuedMessage:
    return {
        "key": key,
        "channel": "console",
        "recipient_id": None,
        "address": "alex@example.com",
        "template": template,
        "payload": {"context": {"number": "INC-1"}, "buttons": []},
        "due_at": now,
        "created_at": now,
    }


def _templates(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
        return {row.key: row.template for row in rows}


def test_queued_messages_are_written_at_commit_once_per_key(
    engine: Engine, clock: FixedClock
) -> None:
    now = clock.now()
    with unit_of_work(engine) as session:
        queue(session, _queued("ping:INC-1:1", now))
        queue(session, _queued("ping:INC-2:1", now))
        queue(session, _queued("ping:INC-1:1", now, template="notify/other"))

    row = _row(engine, "ping:INC-2:1")
    assert _templates(engine) == {
        "ping:INC-1:1": "notify/progress",
        "ping:INC-2:1": "notify/progress",
    }
    assert (row.status, row.attempts, row.payload["context"]) == (
        "pending",
        0,
        {"number": "INC-1"},
    )
    assert row.due_at == now


def test_a_key_already_in_the_outbox_is_not_queued_again(
    engine: Engine, clock: FixedClock
) -> None:
    now = clock.now()
    with unit_of_work(engine) as session:
        queue(session, _queued("sla:INC-1:response:breach:7", now))
    with unit_of_work(engine) as session:
        queue(session, _queued("sla:INC-1:response:breach:7", now, template="notify/other"))
        queue(session, _queued("sla:INC-2:response:breach:7", now, template="notify/other"))

    assert _templates(engine) == {
        "sla:INC-1:response:breach:7": "notify/progress",
        "sla:INC-2:response:breach:7": "notify/other",
    }


def test_queued_messages_are_seen_by_the_next_query_of_the_transaction(
    engine: Engine, clock: FixedClock
) -> None:
    now = clock.now()
    with unit_of_work(engine) as session:
        queue(session, _queued("poll:INC-1:3", now))
        found = session.exec(select(OutboxMessage.key)).all()
        written = write_queued(session)

    assert (list(found), written) == (["poll:INC-1:3"], 0)


def _queue_then_fail(engine: Engine, now: datetime) -> None:
    with unit_of_work(engine) as session:
        queue(session, _queued("poll:INC-1:3", now))
        raise RuntimeError("boom")


def test_a_rollback_drops_what_was_queued(engine: Engine, clock: FixedClock) -> None:
    now = clock.now()
    with pytest.raises(RuntimeError, match="boom"):
        _queue_then_fail(engine, now)
    with unit_of_work(engine) as session:
        queue(session, _queued("poll:INC-2:3", now))

    assert list(_templates(engine)) == ["poll:INC-2:3"]


def test_a_savepoint_over_unwritten_messages_is_refused(engine: Engine, clock: FixedClock) -> None:
    with Session(engine) as session:
        queue(session, _queued("poll:INC-1:3", clock.now()))

        with pytest.raises(RuntimeError, match="before a savepoint"):
            session.begin_nested()


def test_two_transactions_queueing_one_key_write_it_once(
    engine: Engine, clock: FixedClock
) -> None:
    now = clock.now()
    errors: list[BaseException] = []

    def other() -> None:
        try:
            with unit_of_work(engine) as session:
                queue(session, _queued("sla:INC-1:response:warn:75:7", now, "notify/other"))
        except BaseException as error:
            errors.append(error)

    with unit_of_work(engine, writing=True) as session:
        queue(session, _queued("sla:INC-1:response:warn:75:7", now))
        write_queued(session)
        thread = threading.Thread(target=other)
        # The other transaction waits for this one's key (PostgreSQL) or write lock (SQLite).
        thread.start()
    thread.join(timeout=30)

    assert errors == []
    assert _templates(engine) == {"sla:INC-1:response:warn:75:7": "notify/progress"}
