"""Screening a post against the real moderation database: what it writes, and
in how many statements (issue 17: each round trip and each ORM flush cost
the service CPU on every post written)."""
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import sessionmaker

from services.moderation import domain, handlers
from services.moderation.repository import ModerationUnitOfWork
from services.moderation.screening import default_screener
from shared.contracts.posts import PostCreated, PostUpdated
from shared.db import migrations
from shared.db.engine import drop_database, ensure_database, make_engine

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
CLEAN = "Je partage mes démarches de la semaine et je cherche des conseils pour relancer une candidature."


@pytest.fixture(scope="module")
def sessions(base_settings):
    settings = base_settings.model_copy(update={"db_name_prefix": f"t{int(time.time())}{uuid.uuid4().hex[:6]}_"})
    ensure_database(settings, "moderation")
    engine = None
    try:
        migrations.upgrade(settings, "moderation")
        engine = make_engine(settings.database_url("moderation"), pool_size=2, settings=settings)
        yield sessionmaker(engine, expire_on_commit=False)
    finally:
        if engine is not None:
            engine.dispose()
        drop_database(settings, "moderation")


def created(author: str, body: str = CLEAN, at: datetime = T0, post_id: str | None = None) -> PostCreated:
    return PostCreated(post_id=post_id or str(uuid.uuid4()), author_id=author, agency_code="HDF-LILLE",
                       kind="discussion", title="Mes démarches", body=body, topics=[], created_at=at)


def screened(sessions, payload) -> tuple[dict, list[str]]:
    """Screen `payload` and commit: its ContentScreened, and the SQL statements sent."""
    results = []
    sent = sent_by(sessions, lambda uow: results.append(handlers.screen_post(uow, payload, T0, default_screener())))
    return results[0].model_dump(mode="json"), sent


def row(sessions, query: str, **params):
    with sessions() as session:
        return session.execute(text(query), params).mappings().all()


def test_a_clean_post_is_screened_in_four_statements(sessions):
    """Its author's lock; the target marked pending with the author's recent
    writing and its open case; then at the commit this writing and the
    outbox row. It took eight (the lock, the target's insert, select for
    update and update at the flush, the activity read and insert, the case
    read, the outbox row); the chassis' inbox claim comes on top of both."""
    author = str(uuid.uuid4())
    post = created(author)
    result, sent = screened(sessions, post)
    assert (result["decision"], result["reasons"], result["case_id"]) == ("publish", [], None)
    assert len(sent) == 4, sent
    [target] = row(sessions, "SELECT * FROM targets WHERE target_id = :id", id=post.post_id)
    assert (target["status"], target["status_at"], target["author_id"], target["kind"], target["title"]) == (
        "pending", T0, uuid.UUID(author), "discussion", "Mes démarches")
    [writing] = row(sessions, "SELECT * FROM activity WHERE target_id = :id", id=post.post_id)
    assert (writing["author_id"], writing["created"], writing["at"]) == (uuid.UUID(author), True, T0)
    assert row(sessions, "SELECT id FROM cases WHERE target_id = :id", id=post.post_id) == []


def test_the_same_text_again_is_rejected_with_one_decided_case_and_its_audit_entry(sessions):
    author = str(uuid.uuid4())
    screened(sessions, created(author))
    again = created(author, at=T0 + timedelta(minutes=1))
    result, sent = screened(sessions, again)
    assert (result["decision"], result["reasons"]) == ("reject", ["spam.duplicate"])
    # The case is inserted decided (it was inserted open, then updated).
    assert len(sent) == 6 and not any(s.lstrip().upper().startswith("UPDATE") for s in sent), sent
    [case] = row(sessions, "SELECT * FROM cases WHERE target_id = :id", id=again.post_id)
    assert (case["status"], case["action"], case["reasons"], case["source"], str(case["id"])) == (
        "decided", "reject", ["spam.duplicate"], "screening", result["case_id"])
    assert case["decision_reason"] == "Refus automatique : spam.duplicate" and case["decided_by"] is None
    [audit] = row(sessions, "SELECT * FROM audit_log WHERE target_id = :id", id=again.post_id)
    assert (audit["action"], audit["actor_role"], audit["case_id"], audit["details"]) == (
        "case_decided", "system", case["id"], {"action": "reject", "rules": ["spam.duplicate"], "source": "screening"})


def test_a_flood_is_held_and_an_edit_updates_its_open_case(sessions):
    author = str(uuid.uuid4())
    for n in range(5):
        screened(sessions, created(author, body=f"{CLEAN} ({n})", at=T0 + timedelta(seconds=n)))
    flood = created(author, body=f"{CLEAN} (6)", at=T0 + timedelta(seconds=6))
    result, _ = screened(sessions, flood)
    assert (result["decision"], result["reasons"]) == ("hold", ["spam.flood"])
    edit = PostUpdated(post_id=flood.post_id, author_id=author, agency_code="HDF-LILLE", kind="discussion",
                       title="Mes démarches", body=f"{CLEAN} 06 12 34 56 78", topics=[],
                       updated_at=T0 + timedelta(seconds=7))
    edited, _ = screened(sessions, edit)
    assert edited["case_id"] == result["case_id"] and edited["decision"] == "hold"
    [case] = row(sessions, "SELECT * FROM cases WHERE target_id = :id", id=flood.post_id)
    assert case["status"] == "open" and case["reasons"] == ["spam.flood", "personal_data.phone"]
    assert "06 12" not in case["excerpt"]


def test_a_batch_of_posts_takes_one_statement_each_and_sees_its_own_writing(sessions):
    """Posts arriving together are screened in one unit of work (the
    chassis' batches): their authors' locks in one statement, a statement
    per post, then the batch's writing in one insert and the outbox at the
    commit (it took two per post). A later post of the batch sees the
    earlier ones, not yet in the table: the sixth post in a minute is a
    flood, the same text twice a duplicate."""
    author, other = str(uuid.uuid4()), str(uuid.uuid4())
    posts = [created(author, body=f"{CLEAN} ({n})", at=T0 + timedelta(seconds=n)) for n in range(6)]
    posts += [created(other, at=T0), created(other, at=T0 + timedelta(seconds=1))]
    results = []
    sent = sent_by(sessions, lambda uow: (handlers.lock_authors(uow, posts), results.extend(
        handlers.screen_post(uow, post, T0, default_screener()) for post in posts)))
    assert [(r.decision, r.reasons) for r in results] == [("publish", [])] * 5 + [("hold", ["spam.flood"])] + [
        ("publish", []), ("reject", ["spam.duplicate"])]
    # The locks; 8 screenings; the held post's case, the rejected one's case and audit entry; the writing; the outbox.
    assert len(sent) == 1 + 8 + 3 + 2, sent
    writing = row(sessions, "SELECT target_id, created, at FROM activity WHERE author_id IN (:a, :b) ORDER BY at",
                  a=author, b=other)
    assert sorted(str(w["target_id"]) for w in writing) == sorted(p.post_id for p in posts)
    assert all(w["created"] for w in writing)


def screened_meanwhile(sessions, first, then, *, batch=()):
    """`first(uow)` in an open transaction while another worker screens
    `then` (locking the authors of `batch` first, as a batch does): that
    worker must wait for the first transaction. Its result, once both committed."""
    results = []

    def screen():
        with ModerationUnitOfWork(sessions) as uow:
            if batch:
                handlers.lock_authors(uow, batch)
            results.append(handlers.screen_post(uow, then, T0, default_screener()))
            uow.commit()

    with ModerationUnitOfWork(sessions) as uow:
        first(uow)
        worker = threading.Thread(target=screen)
        worker.start()
        worker.join(0.5)
        assert worker.is_alive(), "the second screening should wait for the first's transaction"
        uow.commit()
    worker.join(10)
    [result] = results
    return result


def test_an_edit_waiting_for_its_target_finds_the_case_reports_opened_meanwhile(sessions):
    """Members' reports open a case on a post (holding the target's lock)
    while its edit is screened: the edit's statement waits for the lock, its
    snapshot older than the case. It must still find that case and hold the
    edit for a person, not publish it because its text screens clean."""
    from services.moderation.models import Case

    author = str(uuid.uuid4())
    post = created(author)
    screened(sessions, post)
    edit = PostUpdated(post_id=post.post_id, author_id=author, agency_code="HDF-LILLE", kind="discussion",
                       title="Mes démarches", body=f"{CLEAN} (modifié)", topics=[],
                       updated_at=T0 + timedelta(minutes=5))
    report_case = Case(id=uuid.uuid4(), target_type="post", target_id=uuid.UUID(post.post_id),
                       author_id=uuid.UUID(author), agency_code="HDF-LILLE", reasons=["report.spam"],
                       source="reports", status="open", excerpt="…", created_at=T0, opened_at=T0)

    def open_the_reports_case(uow):
        uow.session.execute(text("SELECT 1 FROM targets WHERE target_type = 'post' AND target_id = :id FOR UPDATE"),
                            {"id": post.post_id})
        uow.cases.insert(report_case)

    result = screened_meanwhile(sessions, open_the_reports_case, edit)
    assert (result.decision, result.case_id) == ("hold", str(report_case.id))
    [case] = row(sessions, "SELECT status, reasons FROM cases WHERE target_id = :id", id=post.post_id)
    assert (case["status"], case["reasons"]) == ("open", ["report.spam", domain.EDITED_AFTER_DECISION])


@pytest.mark.parametrize("second_arrives", ["alone", "in a batch"])
@pytest.mark.parametrize("second_written", ["after", "before"])
def test_one_authors_posts_screened_at_once_by_two_workers_see_each_other(sessions, second_arrives, second_written):
    """The same text posted twice, milliseconds apart, each post screened by
    its own worker (seen on `make up`: both published). The second waits
    for the first's transaction, then sees its writing: a duplicate, even
    when it was written first (two requests at once, their events screened
    in the other order)."""
    author = str(uuid.uuid4())
    first = created(author)
    second = created(author, at=T0 + timedelta(milliseconds=18 if second_written == "after" else -18))

    def screen_the_first(uow):
        assert handlers.screen_post(uow, first, T0, default_screener()).decision == "publish"

    batch = [created(str(uuid.uuid4())), second] if second_arrives == "in a batch" else ()
    result = screened_meanwhile(sessions, screen_the_first, second, batch=batch)
    assert (result.decision, result.reasons) == ("reject", ["spam.duplicate"])


def test_a_flood_from_two_workers_at_once_is_held(sessions):
    """Five posts in a minute from one author screened in a batch while a
    second worker screens the sixth: it waits for the batch, then is held."""
    author = str(uuid.uuid4())
    posts = [created(author, body=f"{CLEAN} ({n})", at=T0 + timedelta(seconds=n)) for n in range(6)]

    def screen_the_batch(uow):
        handlers.lock_authors(uow, posts[:5])
        assert {handlers.screen_post(uow, post, T0, default_screener()).decision for post in posts[:5]} == {"publish"}

    result = screened_meanwhile(sessions, screen_the_batch, posts[5])
    assert (result.decision, result.reasons) == ("hold", ["spam.flood"])


def test_an_older_event_leaves_a_newer_status_and_keeps_what_it_does_not_tell(sessions):
    author = str(uuid.uuid4())
    post = created(author)
    with ModerationUnitOfWork(sessions) as uow:  # posts told of it, published, later than the event
        uow.session.execute(
            text("INSERT INTO targets (target_type, target_id, status, status_at, kind, title) "
                 "VALUES ('post', :id, 'published', :at, 'question', 'Avant')"),
            {"id": post.post_id, "at": T0 + timedelta(hours=1)},
        )
        uow.commit()
    screened(sessions, post)
    [target] = row(sessions, "SELECT * FROM targets WHERE target_id = :id", id=post.post_id)
    assert (target["status"], target["status_at"]) == ("published", T0 + timedelta(hours=1))
    assert (target["kind"], target["title"], target["author_id"]) == ("discussion", "Mes démarches", uuid.UUID(author))


def sent_by(sessions, handler, *args) -> list[str]:
    """The statements of `handler(uow, *args)` and its commit."""
    sent = []
    engine = sessions.kw["bind"]

    def count(conn, cursor, statement, *rest):
        sent.append(statement)

    with ModerationUnitOfWork(sessions) as uow:
        event.listen(engine, "before_cursor_execute", count)
        try:
            handler(uow, *args)
            uow.commit()
        finally:
            event.remove(engine, "before_cursor_execute", count)
    return sent


def test_what_posts_tells_of_a_post_is_kept_in_one_statement(sessions):
    """post_published, post_held, post_rejected, ...: the target's status and
    fields in one upsert (it took three: insert, select for update, update)."""
    from shared.contracts.posts import PostHeld, PostPublished, PostRemoved

    author = str(uuid.uuid4())
    post = created(author)
    screened(sessions, post)
    held = PostHeld(post_id=post.post_id, author_id=author, agency_code="HDF-LILLE", reasons=["spam.flood"])
    assert len(sent_by(sessions, handlers.held_or_rejected, held, T0 + timedelta(seconds=2))) == 1
    [target] = row(sessions, "SELECT * FROM targets WHERE target_id = :id", id=post.post_id)
    assert (target["status"], target["status_at"], target["kind"]) == ("held", T0 + timedelta(seconds=2), "discussion")
    late = PostPublished(post_id=post.post_id, author_id=author, agency_code="HDF-LILLE", kind="discussion",
                         topics=[], published_at=T0 + timedelta(seconds=1))  # older than the hold: status kept
    assert len(sent_by(sessions, handlers.post_published, late)) == 1
    [target] = row(sessions, "SELECT * FROM targets WHERE target_id = :id", id=post.post_id)
    assert (target["status"], target["published_at"]) == ("held", T0 + timedelta(seconds=1))
    removed = PostRemoved(post_id=post.post_id, author_id=author, agency_code="HDF-LILLE", removed_by=author,
                          removed_at=T0 + timedelta(seconds=3))
    sent_by(sessions, handlers.post_removed, removed)
    [target] = row(sessions, "SELECT * FROM targets WHERE target_id = :id", id=post.post_id)
    assert target["status"] == "removed"


def test_a_removed_post_closes_its_open_case_and_an_unknown_target_is_created(sessions):
    from shared.contracts.posts import PostRemoved

    author = str(uuid.uuid4())
    post = created(author, body=f"{CLEAN} 06 12 34 56 78")
    result, _ = screened(sessions, post)
    assert result["decision"] == "hold"
    removed = PostRemoved(post_id=post.post_id, author_id=author, agency_code="HDF-LILLE", removed_by=author,
                          removed_at=T0 + timedelta(seconds=1))
    sent_by(sessions, handlers.post_removed, removed)
    [case] = row(sessions, "SELECT status FROM cases WHERE target_id = :id", id=post.post_id)
    assert case["status"] == "closed"
    unknown = str(uuid.uuid4())
    sent_by(sessions, handlers.post_removed, PostRemoved(post_id=unknown, author_id=author, agency_code="HDF-LILLE",
                                                         removed_by=author, removed_at=T0))
    [target] = row(sessions, "SELECT * FROM targets WHERE target_id = :id", id=unknown)
    assert (target["status"], target["status_at"], target["author_id"]) == ("removed", T0, None)
