"""analytics' event handling against the real PostgreSQL schema: how many
statements an event costs (issue 17), the erasure check inside the write,
and the process's agency → region map following the agencies table."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import sessionmaker

from services.analytics import handlers
from services.analytics.privacy import Pseudonymizer
from services.analytics.repository import AnalyticsUnitOfWork, RegionCache
from services.analytics.service import AnalyticsService
from shared.contracts import Envelope
from shared.contracts.identity import AgencyCreated, ProfileUpdated, UserErased, UserRegistered
from shared.contracts.moderation import ContentScreened
from shared.contracts.posts import PostCreated, PostPublished
from shared.db.engine import make_engine

pytestmark = pytest.mark.integration

PSEUDONYM = Pseudonymizer(b"the ingestion tests' pseudonym key")
# Out of every other test's agency and period: the platform's analytics database is shared by the run.
NOW = datetime(2019, 3, 4, 9, 30, tzinfo=timezone.utc)


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def sessions(platform):
    engine = make_engine(platform.database_url("analytics"), pool_size=2, settings=platform)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


@pytest.fixture
def regions():
    return RegionCache(ttl=10, clock=Clock())


@pytest.fixture
def statements(sessions):
    sent: list[str] = []

    def count(conn, cursor, statement, *rest):
        sent.append(statement)

    engine = sessions.kw["bind"]
    event.listen(engine, "before_cursor_execute", count)
    yield sent
    event.remove(engine, "before_cursor_execute", count)


def consume(sessions, regions, env: Envelope) -> None:
    """The service's entrypoint (chassis: inbox claim, handler, commit) on a unit of work of its own."""
    uow = AnalyticsUnitOfWork(sessions)
    uow.regions = regions
    with uow:
        worker = type("Worker", (), {})()
        worker.name, worker.uow, worker.pseudonym, worker.keeps_idempotency_keys = "analytics", uow, PSEUDONYM, False
        worker.now = lambda: NOW
        AnalyticsService.on_event(worker, [env.model_dump(mode="json")])


def record(sessions, regions, event_):
    uow = AnalyticsUnitOfWork(sessions)
    uow.regions = regions
    with uow:
        message = handlers.record_event(uow, Envelope.wrap(event_), event_, PSEUDONYM, NOW)
        uow.commit()
        return message


def a_post(agency="HDF-AMIENS", author=None):
    post_id, author = str(uuid.uuid4()), author or str(uuid.uuid4())
    return post_id, author, [
        Envelope.wrap(PostCreated(post_id=post_id, author_id=author, agency_code=agency, kind="question",
                                  title="Une question", body="…", topics=[], created_at=NOW)),
        Envelope.wrap(ContentScreened(target_type="post", target_id=post_id, decision="publish", reasons=[],
                                      screened_at=NOW)),
        Envelope.wrap(PostPublished(post_id=post_id, author_id=author, agency_code=agency, kind="question",
                                    topics=[], published_at=NOW + timedelta(seconds=1))),
    ]


def query(sessions, sql, **params):
    with sessions() as session:
        return session.execute(text(sql), params).mappings().all()


def stream_message(sessions, event_id):
    (row,) = query(sessions, "SELECT envelope FROM outbox WHERE event_id = :id", id=event_id)
    return row["envelope"]


def test_each_event_of_a_post_is_two_statements(sessions, regions, statements):
    """The inbox claim, then one statement for the erasure check, the fact,
    its derived rows and its stream message: there were 7, 4 and 6 (the
    erasure check, the fact, each derived upsert, the region lookup and the
    outbox row apart)."""
    consume(sessions, regions, a_post()[2][0])  # the process loads its region map once
    post_id, author, envelopes = a_post()
    for env in envelopes:
        statements.clear()
        consume(sessions, regions, env)
        assert len(statements) == 2, (env.event_type, statements)

    (post,) = query(sessions, "SELECT * FROM posts WHERE post_id = :id", id=post_id)
    assert post["author"] == PSEUDONYM(author) and post["agency_code"] == "HDF-AMIENS" and post["kind"] == "question"
    assert post["created_at"] == NOW and post["first_published_at"] == NOW + timedelta(seconds=1)
    assert query(sessions, "SELECT decision FROM screenings WHERE target_id = :id", id=post_id) == [{"decision": "publish"}]
    assert len(query(sessions, "SELECT 1 FROM activities WHERE event_id = :id", id=envelopes[0].event_id)) == 1
    for env in envelopes:
        (fact,) = query(sessions, "SELECT * FROM facts WHERE event_id = :id", id=env.event_id)
        message = stream_message(sessions, env.event_id)
        assert message["recorded_at"] == fact["recorded_at"].isoformat().replace("+00:00", "Z")
        assert message["agency_code"] == fact["agency_code"]
    assert stream_message(sessions, envelopes[2].event_id)["region"] == "Hauts-de-France"


def test_a_fact_stored_before_writes_nothing_again(sessions, regions):
    post_id, author, (created, _, _) = a_post()
    event_ = PostCreated.model_validate(created.payload)
    for expected in (True, False):  # the handler alone: no inbox claim in front of it
        uow = AnalyticsUnitOfWork(sessions)
        uow.regions = regions
        with uow:
            assert (handlers.record_event(uow, created, event_, PSEUDONYM, NOW) is not None) is expected
            uow.commit()
    assert len(query(sessions, "SELECT 1 FROM outbox WHERE event_id = :id", id=created.event_id)) == 1
    assert len(query(sessions, "SELECT 1 FROM facts WHERE event_id = :id", id=created.event_id)) == 1


def test_an_event_about_an_erased_member_is_stored_linked_to_nobody(sessions, regions, statements):
    author = str(uuid.uuid4())
    record(sessions, regions, UserErased(user_id=author, erased_at=NOW))
    record(sessions, regions, a_post_event("HDF-AMIENS"))  # the region map loaded
    post_id, _, (created, _, _) = a_post(author=author)
    statements.clear()
    consume(sessions, regions, created)
    assert len(statements) == 3  # the write found them erased, wrote nothing, and was made again unlinked
    (fact,) = query(sessions, "SELECT * FROM facts WHERE event_id = :id", id=created.event_id)
    (post,) = query(sessions, "SELECT * FROM posts WHERE post_id = :id", id=post_id)
    message = stream_message(sessions, created.event_id)
    mine = PSEUDONYM(author)
    assert fact["actor"] != mine and fact["actor"].startswith("p_") and fact["payload"]["author_id"] == fact["actor"]
    assert post["author"] == fact["actor"] and message["actor"] == fact["actor"]
    assert mine not in str(fact) and mine not in str(message)


def test_an_event_without_agency_is_placed_in_its_members_agency(sessions, regions, statements):
    user = str(uuid.uuid4())
    record(sessions, regions, UserRegistered(user_id=user, email="camille@exemple.fr", display_name="Camille",
                                             role="job_seeker", agency_code="HDF-AMIENS", registered_at=NOW))
    updated = Envelope.wrap(ProfileUpdated(user_id=user, display_name="Camille D.", topics=[], updated_at=NOW))
    statements.clear()
    consume(sessions, regions, updated)
    assert len(statements) == 4  # claim, erasure check, the member's agency, the write
    message = stream_message(sessions, updated.event_id)
    assert message["agency_code"] == "HDF-AMIENS" and message["region"] == "Hauts-de-France"
    assert message["actor"] == PSEUDONYM(user) and "display_name" not in message["payload"]


def test_the_stream_message_holds_the_facts_recorded_time_as_pydantic_writes_it(sessions):
    """store_sql writes the message's recorded_at in SQL: the same text as
    stream.build_message would make of the fact's time."""
    from pydantic import TypeAdapter

    from services.analytics.repository import RECORDED_AT_JSON

    as_text = RECORDED_AT_JSON.replace("%%", "%")  # store_sql's text goes through psycopg's parameter style
    with sessions() as session:
        for microseconds in (0, 5, 123400, 999999):
            at = datetime(2026, 3, 4, 9, 30, 0, microseconds, tzinfo=timezone.utc)
            made = session.execute(text(f"SELECT {as_text} FROM (SELECT CAST(:at AS TIMESTAMPTZ) AS recorded_at) t"),
                                   {"at": at}).scalar_one()
            assert made == TypeAdapter(datetime).dump_python(at, mode="json")


def test_a_region_written_by_this_process_is_seen_at_once(sessions, regions):
    code = f"T-{uuid.uuid4().hex[:8]}"
    record(sessions, regions, AgencyCreated(code=code, name="Agence", region="Bretagne", created_at=NOW))
    assert record(sessions, regions, a_post_event(code))["region"] == "Bretagne"
    record(sessions, regions, AgencyCreated(code=code, name="Agence", region="Normandie",
                                            created_at=NOW + timedelta(days=1)))
    assert record(sessions, regions, a_post_event(code))["region"] == "Normandie"
    assert regions.clock.now == 0  # no time passed: the map was dropped on the write, not expired


def test_a_region_written_elsewhere_is_seen_within_the_cache_time(sessions, regions):
    code = f"T-{uuid.uuid4().hex[:8]}"
    record(sessions, regions, AgencyCreated(code=code, name="Agence", region="Bretagne", created_at=NOW))
    assert record(sessions, regions, a_post_event(code))["region"] == "Bretagne"
    with sessions() as other:  # another replica, or a rebuild
        other.execute(text("UPDATE agencies SET region = 'Normandie' WHERE code = :code"), {"code": code})
        other.commit()
    assert record(sessions, regions, a_post_event(code))["region"] == "Bretagne"  # the process's copy, for now
    regions.clock.now += regions.ttl
    assert record(sessions, regions, a_post_event(code))["region"] == "Normandie"


def test_a_map_loaded_while_an_agency_was_written_is_not_kept():
    cache = RegionCache(ttl=10, clock=Clock())

    def load_during_a_write():
        cache.forget()  # another worker commits an agency while this load runs
        return {"A": "old"}

    assert cache.get(load_during_a_write) == {"A": "old"}
    assert cache.get(lambda: {"A": "new"}) == {"A": "new"}


def a_post_event(agency):
    return PostCreated(post_id=str(uuid.uuid4()), author_id=str(uuid.uuid4()), agency_code=agency, kind="question",
                       title="t", body="b", topics=[], created_at=NOW)
