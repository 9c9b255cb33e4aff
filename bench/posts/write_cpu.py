"""CPU time and SQL statements of posts' write path, per call, in process.

`make bench`'s write load (`python -m bench.write_waits`) found posts the
largest CPU user per post written (issue 17): create_post, then the
content_screened event that publishes it. This calls, against a real
database and the real unit of work, N times `handlers.create_post` (the
payload of `make bench`'s writers, topics none; commit included), then N
content_screened events (decision publish) for those posts, then for a
comment on each (the first 50 warm up), each handled as the chassis does
(`shared.chassis.consumes`: inbox claim, `lifecycle.apply_screening`,
commit), each call in its own unit of work
entered and left as the service does per RPC or message. Prints CPU µs per
call (time.process_time: this process only, PostgreSQL's work not counted)
and SQL statements per call (`before_cursor_execute`: BEGIN and COMMIT are
not statements to psycopg and are not counted).

    cd <repo> && .venv/bin/python -m bench.posts.write_cpu            # N=1000
    cd <repo> && .venv/bin/python -m bench.posts.write_cpu -n 300

Database: `<DB_NAME_PREFIX>bench_write_cpu` on POSTGRES_URL, migrated with
posts' own Alembic history, dropped and created again on each run (the
posts written pile up otherwise). Drop it when done:
`psql -c 'DROP DATABASE platform_bench_write_cpu'`. Not part of `make test`.
"""
import argparse
import time
import uuid
from datetime import datetime, timezone

from sqlalchemy import event
from sqlalchemy.orm import sessionmaker

from services.posts import conversation, handlers, lifecycle
from services.posts.repository import PostsUnitOfWork
from shared.caller import Caller
from shared.contracts import Envelope, parse_payload
from shared.contracts.identity import ProfileUpdated
from shared.contracts.moderation import ContentScreened
from shared.db import migrations
from shared.db.engine import drop_database, ensure_database, make_engine
from shared.settings import get_settings

SERVICE = "bench_write_cpu"
AGENCY = "HDF-LILLE"
CONSUMER = "posts.on_content_screened"  # the inbox name the chassis gives the handler
WARM = 50


def prepare(cfg) -> None:
    drop_database(cfg, SERVICE)
    ensure_database(cfg, SERVICE)
    from alembic import command

    command.upgrade(migrations.alembic_config("posts", cfg.database_url(SERVICE)), "head")


def post_body(n: int) -> dict:
    """What `make bench`'s writers send (bench/ratios.py post_body)."""
    return {"kind": "discussion", "title": f"Échange n° {n} entre demandeurs d'emploi",
            "body": f"Message {n}-{uuid.uuid4().hex[:10]} : je partage mes démarches de la semaine et je cherche des "
                    "conseils pour relancer une candidature sans paraître insistant.", "topics": []}


def create(sessions, writer: Caller, n: int) -> str:
    with PostsUnitOfWork(sessions) as uow:  # entered and left per call, as the service's provider does
        return handlers.create_post(uow, writer, post_body(n), datetime.now(timezone.utc))["id"]


def comment(sessions, commenter: Caller, post_id: str, n: int) -> str:
    with PostsUnitOfWork(sessions) as uow:
        body = {"body": f"Réponse n° {n} : relancez par écrit une semaine après l'entretien."}
        return conversation.add_comment(uow, commenter, post_id, body, datetime.now(timezone.utc))["id"]


def screen(sessions, target_id: str, target_type: str = "post") -> None:
    """content_screened as shared.chassis.consumes handles it: claim, apply, commit."""
    now = datetime.now(timezone.utc)
    envelope = Envelope.wrap(ContentScreened(target_type=target_type, target_id=target_id, decision="publish",
                                             reasons=[], screened_at=now))
    with PostsUnitOfWork(sessions) as uow:
        if not uow.claim(CONSUMER, envelope.event_id):
            raise RuntimeError("a fresh event was claimed before")
        uow.incoming = envelope
        lifecycle.apply_screening(uow, parse_payload(envelope), now)
        uow.commit()


def timed(engine, name: str, calls: list) -> list:
    """Run the calls (the first one counted for statements), print CPU and statements per call."""
    sent = []

    def count(*_):
        sent.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        results = [calls[0]()]
    finally:
        event.remove(engine, "before_cursor_execute", count)
    began = time.process_time()
    results += [call() for call in calls[1:]]
    cpu = time.process_time() - began
    print(f"{name:34} {cpu / (len(calls) - 1) * 1e6:9.0f} µs CPU/call {len(sent):4d} statements/call"
          f"  ({len(calls) - 1} timed calls)")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--runs", type=int, default=1000, help="timed calls per scenario")
    args = parser.parse_args()
    cfg = get_settings()
    prepare(cfg)
    engine = make_engine(cfg.database_url(SERVICE), pool_size=2)
    sessions = sessionmaker(engine, expire_on_commit=False)  # as shared/db/nameko.py makes them
    writer = Caller(str(uuid.uuid4()), "job_seeker", AGENCY)
    with PostsUnitOfWork(sessions) as uow:  # a writer posts knows: their name is in the view
        uow.authors.rename(ProfileUpdated(user_id=writer.id, display_name="Autrice du banc", topics=[],
                                          updated_at=datetime.now(timezone.utc)))
        uow.commit()
    warm = [create(sessions, writer, n) for n in range(WARM)]  # statement caches, pool, prepared statements
    for post_id in warm:
        screen(sessions, post_id)
    ids = timed(engine, "create_post", [lambda n=n: create(sessions, writer, n) for n in range(args.runs + 1)])
    timed(engine, "content_screened (publish)", [lambda post_id=post_id: screen(sessions, post_id) for post_id in ids])
    with PostsUnitOfWork(sessions) as uow:
        published = uow.session.connection().exec_driver_sql(
            "SELECT count(*) FROM posts WHERE status = 'published'").scalar()
    if published != len(ids) + WARM:
        raise SystemExit(f"{published} posts published, {len(ids) + WARM} expected")
    # Comments, one each on the posts just published (no count contended).
    replies = [comment(sessions, writer, post_id, n) for n, post_id in enumerate(ids)]
    for reply in replies[:WARM]:
        screen(sessions, reply, "comment")
    timed(engine, "content_screened (comment, publish)",
          [lambda reply=reply: screen(sessions, reply, "comment") for reply in replies[WARM:]])
    engine.dispose()


if __name__ == "__main__":
    main()
