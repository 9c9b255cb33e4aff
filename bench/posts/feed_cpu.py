"""CPU time and SQL statements of posts' read use cases, per call, in process.

Wall-clock throughput is noise on a shared machine; the CPU a call costs the
posts process is not (issue 17: `make bench` found about 5 ms of posts' CPU
per GET /v1/feed). This seeds a small database of the same shape as
`make bench` (a reader of HDF-LILLE whose agency has 20+ published posts by
5 authors, one reaction of the reader; a few thousand posts elsewhere with
topics), then calls each use case N times, each call in its own unit of
work entered and left as the service does per RPC, and prints CPU µs per
call (time.process_time: this process only, so PostgreSQL's work is not
counted) and SQL statements per call (`before_cursor_execute`).

    cd <repo> && .venv/bin/python -m bench.posts.feed_cpu            # N=2000
    cd <repo> && .venv/bin/python -m bench.posts.feed_cpu -n 500 --reseed

Database: `<DB_NAME_PREFIX>bench_feed_cpu` on POSTGRES_URL, migrated with
posts' own Alembic history, seeded once (`--reseed` drops it first). Drop it
when done: `psql -c 'DROP DATABASE platform_bench_feed_cpu'`. Not part of
`make test`.
"""
import argparse
import json
import random
import time
import uuid
from datetime import datetime, timedelta, timezone

import psycopg
from sqlalchemy import event
from sqlalchemy.orm import sessionmaker

from services.posts import handlers
from services.posts.repository import PostsUnitOfWork
from shared.caller import Caller
from shared.db import migrations
from shared.db.engine import drop_database, ensure_database, make_engine
from shared.settings import REPO_ROOT, get_settings

SERVICE = "bench_feed_cpu"
AGENCY = "HDF-LILLE"  # make bench's reader's agency
OTHER_AGENCIES = [f"AG-{i:02d}" for i in range(10)]
SEED = 20261130
READER = uuid.UUID("00000000-0000-4000-8000-0000000000aa")
TOPICAL_READER = uuid.UUID("00000000-0000-4000-8000-0000000000bb")
WRITERS = [uuid.UUID(int=0x1000 + n) for n in range(5)]


def plain_url(cfg) -> str:
    return f"{cfg.postgres_url.rstrip('/')}/{cfg.database_name(SERVICE)}"


def topic_slugs() -> list[str]:
    return [t["slug"] for t in json.loads((REPO_ROOT / "services/posts/data/topics.json").read_text())["topics"]]


def prepare(cfg, reseed: bool, rows: int) -> None:
    if reseed:
        drop_database(cfg, SERVICE)
    ensure_database(cfg, SERVICE)
    from alembic import command

    command.upgrade(migrations.alembic_config("posts", cfg.database_url(SERVICE)), "head")
    with psycopg.connect(plain_url(cfg)) as conn:
        if conn.execute("SELECT count(*) FROM posts").fetchone()[0]:
            return
        rng = random.Random(SEED)
        slugs = topic_slugs()
        others = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(200)]
        start = datetime(2026, 1, 1, tzinfo=timezone.utc)
        for n, writer in enumerate(WRITERS):
            conn.execute("INSERT INTO authors (id, role, agency_code, display_name, topics) VALUES (%s, 'job_seeker', %s, %s, '[]')",
                         (writer, AGENCY, f"Auteur {n + 1}"))
        for author in others:
            conn.execute("INSERT INTO authors (id, role, agency_code, display_name, topics) VALUES (%s, 'job_seeker', %s, %s, '[]')",
                         (author, rng.choice(OTHER_AGENCIES), "Quelqu'un d'ailleurs"))
        conn.execute("INSERT INTO authors (id, role, agency_code, display_name, topics) VALUES (%s, 'job_seeker', %s, %s, '[]')",
                     (READER, AGENCY, "Lecteur du banc"))
        conn.execute("INSERT INTO authors (id, role, agency_code, display_name, topics) VALUES (%s, 'job_seeker', %s, %s, %s)",
                     (TOPICAL_READER, AGENCY, "Lectrice à thèmes", json.dumps(slugs[:3])))
        first = None
        with conn.cursor().copy(
            "COPY posts (id, kind, title, body, topics, author_id, agency_code, status, created_at, updated_at, "
            "published_at, pinned, revision, screenings_received) FROM STDIN"
        ) as copy:
            for n in range(rows):
                local = n < 30
                created = start + timedelta(minutes=rng.randrange(300_000))
                post_id = uuid.UUID(int=rng.getrandbits(128))
                first = first or post_id
                copy.write_row((
                    post_id, "question", f"Question n° {n + 1} sur la recherche d'emploi près de Lille",
                    f"Bonjour, voici ma question n° {n + 1} : comment préparer un entretien dans la logistique "
                    f"({uuid.uuid4().hex[:8]}) et quelles formations courtes existent près de chez moi ? Merci !",
                    json.dumps([] if local else rng.sample(slugs, rng.randint(1, 3))),
                    WRITERS[n % 5] if local else rng.choice(others), AGENCY if local else rng.choice(OTHER_AGENCIES),
                    "published" if local or rng.random() < 0.95 else "pending", created, created, created, False, 1, 1,
                ))
        conn.execute("INSERT INTO reactions (post_id, user_id, type, created_at) VALUES (%s, %s, 'helpful', now())",
                     (first, READER))
        conn.execute("UPDATE posts SET reactions_helpful = 1 WHERE id = %s", (first,))
        conn.commit()
    with psycopg.connect(plain_url(cfg), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def measure(sessions, engine, name: str, fn, caller: Caller, *args, runs: int) -> None:
    def call():
        with PostsUnitOfWork(sessions) as uow:  # entered and left per call, as the service's provider does
            return fn(uow, caller, *args)

    for _ in range(50):  # warm: statement caches, pool, prepared statements
        call()
    sent = []

    def count(*_):
        sent.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        result = call()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    began = time.process_time()
    for _ in range(runs):
        call()
    cpu = time.process_time() - began
    items = len(result["items"]) if isinstance(result, dict) and "items" in result else 1
    print(f"{name:42} {cpu / runs * 1e6:9.0f} µs CPU/call {len(sent):4d} statements/call  ({items} items)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--runs", type=int, default=2000, help="timed calls per scenario")
    parser.add_argument("--rows", type=int, default=5000, help="posts to seed")
    parser.add_argument("--reseed", action="store_true", help="drop the database and seed it again")
    args = parser.parse_args()
    cfg = get_settings()
    prepare(cfg, args.reseed, args.rows)
    engine = make_engine(cfg.database_url(SERVICE), pool_size=2)
    sessions = sessionmaker(engine, expire_on_commit=False)  # as shared/db/nameko.py makes them
    reader = Caller(str(READER), "job_seeker", AGENCY)
    topical = Caller(str(TOPICAL_READER), "job_seeker", AGENCY)
    with PostsUnitOfWork(sessions) as uow:
        page = handlers.feed(uow, reader, {"limit": 20})
    post_id = page["items"][0]["id"]
    measure(sessions, engine, "feed, 20 posts (make bench's reader)", handlers.feed, reader, {"limit": 20}, runs=args.runs)
    measure(sessions, engine, "feed, next page", handlers.feed, reader, {"limit": 20, "cursor": page["next_cursor"]},
            runs=args.runs)
    measure(sessions, engine, "feed, reader with 3 topics", handlers.feed, topical, {"limit": 20}, runs=args.runs)
    measure(sessions, engine, "get_post", handlers.get_post, reader, post_id, runs=args.runs)
    measure(sessions, engine, "list_posts, agency filter", handlers.list_posts, reader, {"agency": AGENCY, "limit": 20},
            runs=args.runs)
    engine.dispose()


if __name__ == "__main__":
    main()
