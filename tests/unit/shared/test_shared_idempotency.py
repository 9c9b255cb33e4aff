"""The Idempotency-Key helper (shared/db/idempotency.py), the unit of work
holding the handler's commit until the answer is recorded, and the chassis'
`creates` wrapper, with a scripted session (the real database: e2e
tests/e2e/test_idempotent_posts.py)."""
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from shared.chassis import creates
from shared.db import idempotency
from shared.db.idempotency import IdempotentRequest, Replay, claim, idempotency_keys, request_hash
from shared.db.unit_of_work import OUTBOX_SQL, SqlUnitOfWork
from shared.errors import Conflict, ValidationFailed
from tests.unit.shared.test_shared_unit_of_work import published

NOW = datetime(2026, 11, 30, 7, 0, tzinfo=timezone.utc)
KEY = b"k" * 32
REQUEST = IdempotentRequest(caller_id="u1", key="cle-1", request_hash="h1")


class Result:
    def __init__(self, value):
        self.value = value

    def scalar_one(self):
        return self.value

    def first(self):
        return self.value


class ScriptedSession:
    """Answers `execute` from a script (the advisory lock, then the key's row)."""

    def __init__(self, locked=True, row=None):
        self.answers = [locked, row]
        self.log = []

    def execute(self, statement, params=None):
        self.log.append(("execute", statement, params))
        return Result(self.answers.pop(0) if self.answers else None)

    def connection(self):
        return self

    def exec_driver_sql(self, statement, params=None):
        return self.execute(statement, params)

    def flush(self):
        self.log.append(("flush",))

    def commit(self):
        self.log.append(("commit",))

    def rollback(self):
        self.log.append(("rollback",))

    def close(self):
        self.log.append(("close",))


def row(hash_="h1", response=None, age=timedelta(minutes=5)):
    return SimpleNamespace(request_hash=hash_, response=response or {"id": "p1"}, created_at=NOW - age)


def test_the_same_arguments_hash_alike_whatever_their_order_and_others_differ():
    a = request_hash("posts.create_post", [{"title": "T", "body": "B"}], KEY)
    assert a == request_hash("posts.create_post", [{"body": "B", "title": "T"}], KEY)
    assert a != request_hash("posts.create_post", [{"title": "T", "body": "B2"}], KEY)
    assert a != request_hash("posts.add_topic", [{"title": "T", "body": "B"}], KEY)


def test_the_hash_is_keyed_so_a_guessable_body_cannot_be_tested_offline():
    args = [{"email": "a@exemple.fr", "password": "motdepasse123"}]
    assert request_hash("identity.register", args, KEY) != request_hash("identity.register", args, b"x" * 32)


def test_a_new_key_is_to_be_done():
    assert claim(ScriptedSession(locked=True, row=None), REQUEST, NOW) is None


def test_a_key_held_by_a_running_request_is_a_conflict_at_once():
    session = ScriptedSession(locked=False)
    with pytest.raises(Conflict):
        claim(session, REQUEST, NOW)
    assert len(session.log) == 1  # no wait, no read: the lock was tried, not waited for


def test_a_done_key_with_the_same_request_replays_the_stored_answer():
    assert claim(ScriptedSession(row=row(response={"id": "p9"})), REQUEST, NOW) == Replay({"id": "p9"})


def test_a_done_key_with_another_request_is_refused_on_the_header():
    with pytest.raises(ValidationFailed) as refused:
        claim(ScriptedSession(row=row(hash_="other")), REQUEST, NOW)
    assert refused.value.errors[0]["loc"] == ["header", "Idempotency-Key"]


def test_a_key_past_its_24_hours_is_free_again():
    session = ScriptedSession(row=row(hash_="other", age=timedelta(hours=24, seconds=1)))
    assert claim(session, REQUEST, NOW) is None
    assert session.log[-1][1].is_delete and session.log[-1][1].table is idempotency_keys


def make_uow(session):
    return SqlUnitOfWork(lambda: session, correlation_id="req-1")


def test_the_handlers_commit_is_held_until_the_answer_is_recorded_in_the_same_transaction():
    session = ScriptedSession(row=None)
    with make_uow(session) as uow:
        assert uow.begin_idempotent(REQUEST, NOW) is None
        uow.record(published())
        uow.commit()  # the handler's
        assert ("commit",) not in session.log
        assert session.log[-1] == ("flush",) and session.log[-2][1] == OUTBOX_SQL
        uow.finish_idempotent({"id": "p1"}, NOW)
    kinds = [entry[0] if entry[0] != "execute" else getattr(entry[1], "table", None) for entry in session.log]
    assert kinds.index(idempotency_keys) < kinds.index("commit")
    assert kinds.count("commit") == 1


class FakeService:
    name = "posts"

    def __init__(self, key, uow):
        self.idempotency_key = key
        self.caller = SimpleNamespace(id="u1")
        self.uow = uow
        self.runs = 0

    @staticmethod
    def now():
        return NOW

    @creates
    def create_post(self, data):
        self.runs += 1
        self.uow.commit()
        return {"id": "p1", "title": data["title"]}


class FakeUow:
    def __init__(self, replay=None):
        self.replay = replay
        self.events = []

    def begin_idempotent(self, request, now):
        self.events.append(("begin", request))
        return self.replay

    def commit(self):
        self.events.append(("commit",))

    def finish_idempotent(self, response, now):
        self.events.append(("finish", response))


def test_without_a_key_the_entrypoint_answers_as_before():
    service = FakeService(None, FakeUow())
    assert service.create_post({"title": "T"}) == {"id": "p1", "title": "T"}
    assert service.uow.events == [("commit",)]


def test_with_a_new_key_the_work_is_done_and_its_answer_recorded():
    service = FakeService("k", FakeUow())
    assert service.create_post({"title": "T"}) == {"replayed": False, "result": {"id": "p1", "title": "T"}}
    (_, request), _, finished = service.uow.events
    assert request.caller_id == "u1" and request.key == "k"
    assert finished == ("finish", {"id": "p1", "title": "T"})


def test_with_a_done_key_nothing_runs_and_the_stored_answer_is_replayed():
    service = FakeService("k", FakeUow(replay=Replay({"id": "p0"})))
    assert service.create_post({"title": "T"}) == {"replayed": True, "result": {"id": "p0"}}
    assert service.runs == 0


def test_a_service_with_a_creating_entrypoint_gets_the_purge_timer():
    from services.posts.service import PostsService
    from services.notifications.service import NotificationsService

    assert PostsService.keeps_idempotency_keys and hasattr(PostsService, "purge_idempotency_keys")
    assert not NotificationsService.keeps_idempotency_keys


def test_purge_deletes_keys_past_their_24_hours():
    session = ScriptedSession()
    session.answers = [SimpleNamespace(rowcount=3)]
    session.execute = lambda statement, params=None: (session.log.append(statement), session.answers.pop(0))[1]
    assert idempotency.purge_expired(session, NOW) == 3
    statement = session.log[0]
    assert statement.is_delete and statement.table is idempotency_keys
    assert statement.compile().params["created_at_1"] == NOW - timedelta(hours=24)


def test_an_erased_members_stored_answers_are_forgotten_with_them():
    from shared.chassis import consumes
    from shared.contracts import Envelope
    from shared.contracts.identity import UserErasedV2

    class Uow:
        def __init__(self):
            self.session = ScriptedSession()
            self.session.execute = lambda statement, params=None: self.session.log.append(statement)

        def claim(self, consumer, event_id):
            return True

        def forget_published_events(self):
            pass

        def commit(self):
            pass

    class Erasing:
        name = "posts"
        keeps_idempotency_keys = True

        def __init__(self):
            self.uow = Uow()

        @consumes(lambda handle: handle)
        def on_user_erased(self, event):
            pass

    service = Erasing()
    envelope = Envelope.wrap(UserErasedV2(user_id="0b3f2c1e-0000-4000-8000-000000000001", member_version=3, erased_at=NOW))
    service.on_user_erased(envelope.model_dump(mode="json"))
    (statement,) = service.uow.session.log
    assert statement.is_delete and statement.table is idempotency_keys
    assert statement.compile().params["caller_id_1"] == "0b3f2c1e-0000-4000-8000-000000000001"


def test_a_deadline_counts_only_once_passed_and_a_malformed_one_is_ignored():
    from shared.messaging.rpc import past_deadline

    assert past_deadline({"nameko.deadline": 99.5}, now=100.0) == 99.5
    assert past_deadline({"nameko.deadline": 100.5}, now=100.0) is None
    assert past_deadline({"nameko.deadline": "soon"}, now=100.0) is None
    assert past_deadline({}, now=100.0) is None and past_deadline(None, now=100.0) is None
