"""CPU and SQL statements per event consumed by analytics (issue 17).

Each post written makes analytics consume three events: posts.post_created,
moderation.content_screened and posts.post_published. This handles N events
of each kind in this process, as the service does: the chassis' consuming
entrypoint (`AnalyticsService.on_event`: inbox claim, handler, commit) on
the real unit of work against a real PostgreSQL database. No broker, no
nameko container: the relay and the entrypoint observer are not measured.

Prints, per kind, CPU µs per event (time.process_time of this process, so
PostgreSQL's own CPU is not in it) and SQL statements per event (a
before_cursor_execute counter; psycopg's implicit BEGIN is not a cursor
statement, it is one more round trip per event on top).

    .venv/bin/python -m bench.analytics_events [--events 2000] [--warmup 200]

Uses a database of its own, `<DB_NAME_PREFIX>bench_analytics` (default
`platform_bench_analytics`), dropped and migrated again at each run with
analytics' Alembic history. Not part of `make test` or `make bench`.

Measured on the shared 2-core development machine (load average 5 to 6),
--events 2000, three alternating runs each, CPU µs per post (the three
events) and statements per post:

- before (25738d7: the erasure check, the fact, each derived upsert, the
  region lookup and the outbox row each a statement): 8,900 to 10,300 µs,
  17 statements (7 + 4 + 6);
- after (one statement per event besides the inbox claim, the region map
  cached): 2,600 to 3,300 µs, 6 statements (2 + 2 + 2).
"""
from __future__ import annotations

import argparse
import time
import uuid
from collections import Counter
from datetime import datetime, timezone
from types import SimpleNamespace

from alembic import command
from sqlalchemy import event
from sqlalchemy.orm import sessionmaker

from services.analytics.privacy import Pseudonymizer
from services.analytics.repository import AnalyticsUnitOfWork
from services.analytics.service import AnalyticsService
from shared.contracts import Envelope
from shared.contracts.moderation import ContentScreened
from shared.contracts.posts import PostCreated, PostPublished
from shared.db import migrations
from shared.db.engine import drop_database, ensure_database, make_engine
from shared.settings import get_settings

SERVICE = "bench_analytics"
AGENCIES = ["HDF-LILLE", "HDF-ROUBAIX", "IDF-PARIS-11", "IDF-MONTREUIL", "OCC-TOULOUSE"]  # seeded by the migration
KINDS = ("posts.post_created", "moderation.content_screened", "posts.post_published")


def prepare(cfg):
    drop_database(cfg, SERVICE)
    ensure_database(cfg, SERVICE)
    command.upgrade(migrations.alembic_config("analytics", cfg.database_url(SERVICE)), "head")
    engine = make_engine(cfg.database_url(SERVICE), pool_size=2, settings=cfg)
    return engine, sessionmaker(engine, expire_on_commit=False)


def post_events(i: int) -> list[Envelope]:
    """The three events of one post, as posts and moderation send them."""
    post_id, author = str(uuid.uuid4()), str(uuid.uuid4())
    agency = AGENCIES[i % len(AGENCIES)]
    at = datetime.now(timezone.utc)
    return [
        Envelope.wrap(PostCreated(post_id=post_id, author_id=author, agency_code=agency, kind="question",
                                  title="Une question", body="Le corps de la question.", topics=["emploi"],
                                  created_at=at)),
        Envelope.wrap(ContentScreened(target_type="post", target_id=post_id, decision="publish", reasons=[],
                                      screened_at=at)),
        Envelope.wrap(PostPublished(post_id=post_id, author_id=author, agency_code=agency, kind="question",
                                    topics=["emploi"], published_at=at)),
    ]


class Worker(SimpleNamespace):
    """What the chassis' entrypoint reads of the service instance."""


def handle(sessions, pseudonym, body: dict) -> None:
    with AnalyticsUnitOfWork(sessions, None, lambda: None) as uow:
        worker = Worker(name="analytics", uow=uow, pseudonym=pseudonym, keeps_idempotency_keys=False,
                        now=AnalyticsService.now)
        AnalyticsService.on_event(worker, body)


def run(sessions, pseudonym, bodies_by_kind: dict[str, list[dict]], statements: Counter) -> dict[str, tuple]:
    results = {}
    for kind in KINDS:
        bodies = bodies_by_kind[kind]
        statements.clear()
        started = time.process_time()
        for body in bodies:
            handle(sessions, pseudonym, body)
        cpu = time.process_time() - started
        results[kind] = (cpu / len(bodies) * 1e6, sum(statements.values()) / len(bodies), dict(statements))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000, help="events of each kind measured")
    parser.add_argument("--warmup", type=int, default=200, help="posts handled before measuring")
    parser.add_argument("--show-statements", action="store_true", help="print the statements of one event of each kind")
    args = parser.parse_args()

    cfg = get_settings()
    engine, sessions = prepare(cfg)
    pseudonym = Pseudonymizer(b"the bench's pseudonym key, long enough")
    statements: Counter = Counter()

    @event.listens_for(engine, "before_cursor_execute")
    def count(conn, cursor, statement, *rest):
        statements[" ".join(statement.split()[:3])] += 1

    try:
        warmup = [e for i in range(args.warmup) for e in post_events(i)]
        for env in warmup:  # statement caches, pool, first-use imports
            handle(sessions, pseudonym, env.model_dump(mode="json"))
        posts = [post_events(i) for i in range(args.events)]
        bodies = {kind: [envs[k].model_dump(mode="json") for envs in posts] for k, kind in enumerate(KINDS)}
        results = run(sessions, pseudonym, bodies, statements)
        total_cpu = sum(r[0] for r in results.values())
        print(f"{args.events} events of each kind, CPU of this process (PostgreSQL's not included)")
        print(f"{'event':32} {'CPU µs/event':>13} {'statements/event':>17}")
        for kind, (cpu_us, per_event, _) in results.items():
            print(f"{kind:32} {cpu_us:13.0f} {per_event:17.2f}")
        print(f"{'one post (the three)':32} {total_cpu:13.0f} {sum(r[1] for r in results.values()):17.2f}")
        if args.show_statements:
            for kind, (_, _, seen) in results.items():
                print(kind, {k: round(v / args.events, 2) for k, v in seen.items()})
    finally:
        engine.dispose()
        drop_database(cfg, SERVICE)


if __name__ == "__main__":
    main()
