"""SqlUnitOfWork: events go to the outbox in the same transaction as the change."""
import json
import uuid
from datetime import datetime, timezone

from shared.contracts.posts import PostPublished
from shared.db.unit_of_work import OUTBOX_SQL, SqlUnitOfWork

NOW = datetime(2025, 3, 4, 9, 30, tzinfo=timezone.utc)


class RecordingSession:
    def __init__(self, log):
        self.log = log

    def execute(self, statement, params=None):
        self.log.append(("execute", statement, params))

    def connection(self):
        return self

    def exec_driver_sql(self, statement, params=None):
        self.log.append(("execute", statement, params))

    def commit(self):
        self.log.append(("commit",))

    def rollback(self):
        self.log.append(("rollback",))

    def close(self):
        self.log.append(("close",))


def make_uow(log, on_commit=None):
    return SqlUnitOfWork(lambda: RecordingSession(log), correlation_id="req-42", on_commit=on_commit)


def published() -> PostPublished:
    return PostPublished(
        post_id=str(uuid.uuid4()), author_id=str(uuid.uuid4()), agency_code="HDF-LILLE", kind="question",
        topics=[], published_at=NOW,
    )


def test_recording_alone_writes_nothing():
    log = []
    with make_uow(log) as uow:
        uow.record(published())
    assert [entry[0] for entry in log] == ["close"]  # close() rolls back what is uncommitted


def test_commit_writes_outbox_rows_before_committing_the_transaction():
    log = []
    with make_uow(log) as uow:
        env = uow.record(published())
        uow.commit()

    kinds = [entry[0] for entry in log]
    assert kinds[:2] == ["execute", "commit"]
    _, statement, rows = log[0]
    assert statement == OUTBOX_SQL
    assert [{**row, "envelope": row["envelope"].obj} for row in rows] == [
        {
            "event_id": env.event_id,
            "event_type": "posts.post_published",
            "exchange": "posts.events",
            "routing_key": "post_published",
            "envelope": env.model_dump(mode="json"),
        }
    ]
    json.dumps(rows[0]["envelope"].obj)


def test_recorded_envelope_carries_the_correlation_id():
    with make_uow([]) as uow:
        assert uow.record(published()).correlation_id == "req-42"


def test_relay_is_woken_after_a_commit_with_events():
    log = []
    with make_uow(log, on_commit=lambda: log.append(("wake",))) as uow:
        uow.record(published())
        uow.commit()
    assert [entry[0] for entry in log][:3] == ["execute", "commit", "wake"]


def test_relay_is_not_woken_by_a_commit_without_events():
    woken = []
    with make_uow([], on_commit=lambda: woken.append(1)) as uow:
        uow.commit()
    assert woken == []


def test_events_are_written_once_even_if_committed_twice():
    log = []
    with make_uow(log) as uow:
        uow.record(published())
        uow.commit()
        uow.commit()
    assert sum(1 for entry in log if entry[0] == "execute") == 1


def test_leaving_the_block_closes_the_session_once():
    """close() ends the transaction (a rollback of what is uncommitted: see
    tests/integration/test_posts_writing.py); no rollback() before it."""
    log = []
    with make_uow(log) as uow:
        uow.commit()
    assert log[-1:] == [("close",)] and ("rollback",) not in log
