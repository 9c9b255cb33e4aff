"""Writing posts against the real PostgreSQL schema: what a created post and
a screening cost in statements (issue 17: the ORM's unit of work was a third
of posts' CPU per post written), and that the plain SQL writes store, answer
and record exactly what the ORM did."""
import uuid
from datetime import datetime, timedelta, timezone

import psycopg
import pytest
from sqlalchemy import event
from sqlalchemy.orm import sessionmaker

from services.posts import conversation, domain, handlers, lifecycle
from services.posts.repository import PostsUnitOfWork
from shared.caller import Caller
from shared.contracts.identity import ProfileUpdated
from shared.contracts.moderation import ContentScreened
from shared.db import idempotency
from shared.db.engine import make_engine

pytestmark = pytest.mark.integration

T0 = datetime(2025, 3, 3, 9, 30, 0, 120000, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def sessions(platform):
    engine = make_engine(platform.database_url("posts"), pool_size=4)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


def member(sessions, role="job_seeker", name: str | None = "Autrice") -> Caller:
    """A member of an agency of their own, known to posts by `name` (None: not known yet)."""
    caller = Caller(str(uuid.uuid4()), role, f"AG-{uuid.uuid4().hex[:6]}")
    if name is not None:
        with PostsUnitOfWork(sessions) as uow:
            uow.authors.rename(ProfileUpdated(user_id=caller.id, display_name=name, topics=[], updated_at=T0))
            uow.commit()
    return caller


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Sent:
    """The SQL statements a block sends, and what went through the ORM (its
    queries, and flushes of objects)."""

    def __init__(self, sessions):
        self.sessions, self.engine = sessions, sessions.kw["bind"]
        self.statements, self.orm = [], []

    def _statement(self, conn, cursor, statement, *rest):
        self.statements.append(statement)

    def _orm_query(self, state):
        self.orm.append(str(state.statement))

    def _flush(self, session, context):
        self.orm.extend(f"flush {type(obj).__name__}" for obj in [*session.new, *session.dirty])

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.sessions, "do_orm_execute", self._orm_query)
        event.listen(self.sessions, "after_flush", self._flush)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.sessions, "do_orm_execute", self._orm_query)
        event.remove(self.sessions, "after_flush", self._flush)


def create(sessions, caller, data, at=T0) -> dict:
    with PostsUnitOfWork(sessions) as uow:
        return handlers.create_post(uow, caller, data, at)


def screen(sessions, target_id: str, decision="publish", reasons=(), at=T0, target_type="post") -> None:
    with PostsUnitOfWork(sessions) as uow:
        lifecycle.apply_screening(uow, ContentScreened(target_type=target_type, target_id=target_id, decision=decision,
                                                       reasons=list(reasons), screened_at=at), at)
        uow.commit()


def stored(sessions, post_id: str) -> dict:
    with PostsUnitOfWork(sessions) as uow:
        row = uow.session.connection().exec_driver_sql(
            "SELECT status, revision, screenings_received, screening_decision, screening_reasons, published_at, "
            "updated_at, moderation_reason, comment_count, pinned, validated_by_advisor, search IS NOT NULL AS searchable "
            "FROM posts WHERE id = %(id)s", {"id": uuid.UUID(post_id)}).mappings().one()
        return dict(row)


def events_of(sessions, post_id: str) -> list[tuple[str, dict]]:
    """(event type, payload) of the post's events in the outbox, oldest first."""
    with PostsUnitOfWork(sessions) as uow:
        rows = uow.session.connection().exec_driver_sql(
            "SELECT event_type, envelope FROM outbox WHERE envelope -> 'payload' ->> 'post_id' = %(id)s "
            "AND envelope -> 'payload' ->> 'comment_id' IS NULL ORDER BY id", {"id": post_id}).all()
    return [(event_type, envelope["payload"]) for event_type, envelope in rows]


def topic_rows(sessions, post_id: str) -> list[str]:
    with PostsUnitOfWork(sessions) as uow:
        return sorted(uow.session.connection().exec_driver_sql(
            "SELECT topic FROM post_topics WHERE post_id = %(id)s", {"id": uuid.UUID(post_id)}).scalars())


# ---------------------------------------------------------------- creating


def test_a_post_is_created_in_three_statements_without_the_orm(sessions):
    """The writer's copy with their mutes, the post, its event: plain SQL, no
    ORM query or flush (issue 17)."""
    author = member(sessions)
    with Sent(sessions) as sent:
        view = create(sessions, author, {"kind": "question", "title": " Titre ", "body": "Corps", "topics": []})
    assert len(sent.statements) == 3, sent.statements
    assert sent.statements[1].startswith("INSERT INTO posts ")
    assert sent.orm == []
    assert view["author"] == {"id": author.id, "display_name": "Autrice"} and view["title"] == "Titre"


def test_a_created_post_reads_back_as_its_view_and_records_its_event(sessions):
    advisor = member(sessions, "advisor")
    data = {"kind": "job_info", "title": "Fiche métier", "body": "Le métier\n  en détail", "topics": ["industrie", "industrie"],
            "details": {"rome_code": "H2913", "skills": ["soudure"], "trainings": []}}
    view = create(sessions, advisor, data)
    with PostsUnitOfWork(sessions) as uow:
        assert handlers.get_post(uow, advisor, view["id"]) == view
    assert view["topics"] == ["industrie"] and view["details"] == data["details"] | {"bridges": [], "hiring": False} and view["status"] == "pending"
    assert view["created_at"] == view["updated_at"] == T0.isoformat() and view["published_at"] is None
    assert stored(sessions, view["id"]) == {
        "status": "pending", "revision": 1, "screenings_received": 0, "screening_decision": None,
        "screening_reasons": [], "published_at": None, "updated_at": T0, "moderation_reason": None,
        "comment_count": 0, "pinned": False, "validated_by_advisor": False, "searchable": True,
    }
    [(kind, created)] = events_of(sessions, view["id"])
    assert kind == "posts.post_created" and moment(created.pop("created_at")) == T0
    assert created == {
        "post_id": view["id"], "author_id": advisor.id, "agency_code": advisor.agency_code, "kind": "job_info",
        "title": "Fiche métier", "body": "Le métier\n  en détail", "topics": ["industrie"],
    }
    assert topic_rows(sessions, view["id"]) == []  # pending: not in the topics' index yet


def test_a_video_by_a_writer_posts_has_no_copy_of_yet(sessions):
    company = member(sessions, "company", name=None)
    view = create(sessions, company, {"kind": "video", "title": "Vidéo", "body": "Regardez",
                                      "video_url": "https://video.example/v/1"})
    assert view["author"] == {"id": company.id, "display_name": None} and view["video_url"] == "https://video.example/v/1"
    with PostsUnitOfWork(sessions) as uow:
        assert handlers.get_post(uow, company, view["id"]) == view


def test_an_idempotent_creation_commits_the_post_its_event_and_its_answer_together(sessions):
    """With an Idempotency-Key (shared.chassis.creates) the handler's commit
    is held: the post, written by plain SQL on the session's connection, is
    in the transaction that records the answer, and a replay writes nothing."""
    author = member(sessions)
    data = {"kind": "question", "title": "Une seule fois", "body": "Corps"}
    request = idempotency.IdempotentRequest(
        caller_id=author.id, key=f"k-{uuid.uuid4()}", request_hash=idempotency.request_hash("posts.create_post", [data]))
    with PostsUnitOfWork(sessions) as uow:
        assert uow.begin_idempotent(request, T0) is None
        view = handlers.create_post(uow, author, data, T0)
        with PostsUnitOfWork(sessions) as other:  # not committed yet: nobody else sees the post
            assert other.posts.views([uuid.UUID(view["id"])], uuid.UUID(author.id)) == []
        uow.finish_idempotent(view, T0)
    assert stored(sessions, view["id"])["status"] == "pending"
    assert [kind for kind, _ in events_of(sessions, view["id"])] == ["posts.post_created"]
    with PostsUnitOfWork(sessions) as uow:
        replay = uow.begin_idempotent(request, T0 + timedelta(minutes=1))
    assert replay is not None and replay.response == view


def test_a_unit_of_work_left_without_commit_leaves_nothing_and_its_connection_clean(platform):
    """Leaving a unit of work undoes what it wrote (its session's close ends
    the transaction), and the pooled connection serves the next one without
    a transaction left open."""
    engine = make_engine(platform.database_url("posts"), pool_size=1)
    sessions = sessionmaker(engine, expire_on_commit=False)
    try:
        author = member(sessions)
        with PostsUnitOfWork(sessions) as uow:
            view = handlers.create_post(uow, author, {"kind": "question", "title": "Gardé", "body": "Corps"}, T0)
        with PostsUnitOfWork(sessions) as uow:
            uow.session.connection().exec_driver_sql("UPDATE posts SET title = 'Abandonné' WHERE id = %(id)s",
                                                     {"id": uuid.UUID(view["id"])})
        with PostsUnitOfWork(sessions) as uow:  # the same connection: pool_size=1
            assert uow.posts.views([uuid.UUID(view["id"])], uuid.UUID(author.id))[0][2] == "Gardé"
        with engine.connect() as conn:
            assert conn.connection.dbapi_connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    finally:
        engine.dispose()


# ---------------------------------------------------------------- screening


def test_a_screening_publishes_a_pending_post_in_one_statement(sessions):
    """One conditional UPDATE and the event, where it was a locked read, the
    ORM's UPDATE and the event (issue 17)."""
    author = member(sessions)
    post = create(sessions, author, {"kind": "question", "title": "Titre", "body": "Corps", "topics": ["industrie"]})
    later = T0 + timedelta(minutes=1)
    with Sent(sessions) as sent:
        screen(sessions, post["id"], at=later)
    assert len(sent.statements) == 2, sent.statements
    assert sent.statements[0].startswith("UPDATE posts ") and sent.orm == []
    row = stored(sessions, post["id"])
    assert (row["status"], row["published_at"], row["updated_at"], row["screenings_received"], row["moderation_reason"]) == (
        "published", later, later, 1, None)
    assert (row["screening_decision"], row["screening_reasons"]) == (None, [])
    assert topic_rows(sessions, post["id"]) == ["industrie"]
    (_, created), (kind, published) = events_of(sessions, post["id"])
    assert kind == "posts.post_published"
    assert moment(published.pop("published_at")) == later
    assert published == {"post_id": post["id"], "author_id": author.id, "agency_code": author.agency_code,
                         "kind": "question", "topics": ["industrie"]}


@pytest.mark.parametrize("decision,status", [("hold", "held"), ("reject", "rejected")])
def test_a_screening_holds_or_rejects_with_the_reasons_once_each(sessions, decision, status):
    author = member(sessions)
    post = create(sessions, author, {"kind": "question", "title": "Titre", "body": "Corps"})
    reasons = ["personal_data.phone", "abuse", "personal_data.phone"]
    screen(sessions, post["id"], decision, reasons)
    row = stored(sessions, post["id"])
    assert (row["status"], row["published_at"], row["screenings_received"]) == (status, None, 1)
    assert row["moderation_reason"] == domain.moderation_reason(reasons)
    assert events_of(sessions, post["id"])[-1] == (f"posts.post_{status}", {
        "post_id": post["id"], "author_id": author.id, "agency_code": author.agency_code,
        "reasons": ["personal_data.phone", "abuse"]})
    with PostsUnitOfWork(sessions) as uow:
        assert handlers.get_post(uow, author, post["id"])["moderation_reason"] == domain.moderation_reason(reasons)


def test_a_screening_of_a_post_no_longer_pending_or_unknown_changes_nothing(sessions):
    author = member(sessions)
    post = create(sessions, author, {"kind": "question", "title": "Titre", "body": "Corps"})
    screen(sessions, post["id"], "hold", ["abuse"])
    before = stored(sessions, post["id"])
    screen(sessions, post["id"], "publish", at=T0 + timedelta(hours=1))  # a second screening of the same text
    assert stored(sessions, post["id"]) == before
    assert [kind for kind, _ in events_of(sessions, post["id"])] == ["posts.post_created", "posts.post_held"]
    removed = create(sessions, author, {"kind": "question", "title": "Retiré", "body": "Corps"})
    with PostsUnitOfWork(sessions) as uow:
        handlers.remove_post(uow, author, removed["id"], T0)
    screen(sessions, removed["id"])
    assert stored(sessions, removed["id"])["status"] == "removed"
    assert [kind for kind, _ in events_of(sessions, removed["id"])] == ["posts.post_created", "posts.post_removed"]
    screen(sessions, str(uuid.uuid4()))
    screen(sessions, "not-an-id")


def test_screenings_of_edits_in_flight_wait_for_each_other_and_the_most_severe_wins(sessions):
    """Two edits screened out of order: the first screening to arrive settles
    nothing (its decision and reasons are kept), the last one decides with
    the most severe decision and every reason; published_at stays the first."""
    author = member(sessions)
    post = create(sessions, author, {"kind": "question", "title": "Titre", "body": "Corps"})
    screen(sessions, post["id"], at=T0)  # revision 1: published
    with PostsUnitOfWork(sessions) as uow:
        handlers.edit_post(uow, author, post["id"], {"body": "Deuxième"}, T0 + timedelta(minutes=1))
    with PostsUnitOfWork(sessions) as uow:
        handlers.edit_post(uow, author, post["id"], {"body": "Troisième"}, T0 + timedelta(minutes=2))
    screen(sessions, post["id"], "hold", ["spam.links"], at=T0 + timedelta(minutes=3))
    row = stored(sessions, post["id"])
    assert (row["status"], row["revision"], row["screenings_received"]) == ("pending", 3, 2)
    assert (row["screening_decision"], row["screening_reasons"]) == ("hold", ["spam.links"])
    screen(sessions, post["id"], "publish", ["abuse"], at=T0 + timedelta(minutes=4))
    row = stored(sessions, post["id"])
    assert (row["status"], row["screenings_received"], row["screening_decision"], row["screening_reasons"]) == (
        "held", 3, None, [])
    assert row["moderation_reason"] == domain.moderation_reason(["spam.links", "abuse"])
    assert events_of(sessions, post["id"])[-1][1]["reasons"] == ["spam.links", "abuse"]
    # Edited again and screened clean: published, first published_at kept.
    with PostsUnitOfWork(sessions) as uow:
        handlers.edit_post(uow, author, post["id"], {"body": "Quatrième"}, T0 + timedelta(minutes=5))
    with Sent(sessions) as sent:
        screen(sessions, post["id"], at=T0 + timedelta(minutes=6))
    assert len(sent.statements) == 2, sent.statements
    row = stored(sessions, post["id"])
    assert (row["status"], row["published_at"], row["updated_at"], row["screenings_received"], row["moderation_reason"]) == (
        "published", T0, T0 + timedelta(minutes=6), 4, None)


# ---------------------------------------------------------------- comments


def screen_comment(sessions, comment_id: str, decision="publish", reasons=(), at=T0) -> None:
    screen(sessions, comment_id, decision, reasons, at, target_type="comment")


def comment_state(sessions, comment_id: str) -> tuple:
    with PostsUnitOfWork(sessions) as uow:
        return tuple(uow.session.connection().exec_driver_sql(
            "SELECT c.status, c.published_at, c.updated_at, c.moderation_reason, p.comment_count "
            "FROM comments c JOIN posts p ON p.id = c.post_id WHERE c.id = %(id)s", {"id": uuid.UUID(comment_id)}).one())


def comment_events(sessions, comment_id: str) -> list[tuple[str, dict]]:
    """The comment's events after its creation."""
    with PostsUnitOfWork(sessions) as uow:
        rows = uow.session.connection().exec_driver_sql(
            "SELECT event_type, envelope FROM outbox WHERE envelope -> 'payload' ->> 'comment_id' = %(id)s "
            "AND event_type <> 'posts.comment_created' ORDER BY id",
            {"id": comment_id}).all()
    return [(event_type, envelope["payload"]) for event_type, envelope in rows]


def test_a_screening_publishes_a_pending_comment_and_counts_it_in_one_statement(sessions):
    """The comment's status, its post's count and what the event needs of
    both: one statement, where it was a locked read of the comment, a read
    of the post, the count's UPDATE and the ORM's (issue 17)."""
    author, commenter = member(sessions), member(sessions, "advisor")
    post = create(sessions, author, {"kind": "question", "title": "Une question", "body": "Corps"})
    screen(sessions, post["id"])
    with PostsUnitOfWork(sessions) as uow:
        comment = conversation.add_comment(uow, commenter, post["id"], {"body": "Une réponse"}, T0)
    later = T0 + timedelta(minutes=1)
    with Sent(sessions) as sent:
        screen_comment(sessions, comment["id"], at=later)
    assert len(sent.statements) == 2, sent.statements
    assert sent.orm == []
    assert comment_state(sessions, comment["id"]) == ("published", later, later, None, 1)
    [(kind, published)] = comment_events(sessions, comment["id"])
    assert kind == "posts.comment_published"
    assert moment(published.pop("published_at")) == later and moment(published.pop("created_at")) == T0
    assert published == {
        "comment_id": comment["id"], "post_id": post["id"], "author_id": commenter.id,
        "agency_code": author.agency_code, "post_title": "Une question", "post_author_id": author.id,
        "post_kind": "question", "author_role": "advisor",
    }
    screen_comment(sessions, comment["id"], at=later + timedelta(minutes=1))  # decided already: nothing
    assert comment_state(sessions, comment["id"]) == ("published", later, later, None, 1)
    assert len(comment_events(sessions, comment["id"])) == 1
    screen_comment(sessions, str(uuid.uuid4()))
    screen_comment(sessions, "not-an-id")


def test_a_held_comment_is_not_counted_and_carries_its_reasons(sessions):
    author, commenter = member(sessions), member(sessions)
    post = create(sessions, author, {"kind": "question", "title": "Une question", "body": "Corps"})
    screen(sessions, post["id"])
    with PostsUnitOfWork(sessions) as uow:
        comment = conversation.add_comment(uow, commenter, post["id"], {"body": "Appelle-moi"}, T0)
    reasons = ["personal_data.phone", "personal_data.phone"]
    screen_comment(sessions, comment["id"], "hold", reasons)
    assert comment_state(sessions, comment["id"]) == ("held", None, T0, domain.moderation_reason(reasons), 0)
    assert comment_events(sessions, comment["id"]) == [("posts.comment_held", {
        "comment_id": comment["id"], "post_id": post["id"], "author_id": commenter.id,
        "agency_code": author.agency_code, "reasons": reasons})]
