"""CPU and SQL statements per event consumed by analytics (issue 17).

Each post written makes analytics consume three events: posts.post_created,
moderation.content_screened and posts.post_published. This handles N events
of each kind in this process, as the service does: the chassis' consuming
entrypoint (`AnalyticsService.on_event`: inbox claim, handler, commit) on
the real unit of work against a real PostgreSQL database. No broker, no
nameko container: the relay and the entrypoint observer are not measured.

Prints, per kind, CPU µs per event of this process (time.process_time) and
of the PostgreSQL backends serving it (utime + stime in /proc: PostgreSQL
on this machine), and SQL statements per event (a before_cursor_execute
counter; psycopg's implicit BEGIN is not a cursor statement, it is one more
round trip per event on top, as is the COMMIT).

    .venv/bin/python -m bench.analytics_events [--events 2000] [--warmup 200]

Uses a database of its own, `<DB_NAME_PREFIX>bench_analytics` (default
`platform_bench_analytics`), dropped and migrated again at each run with
analytics' Alembic history. Not part of `make test` or `make bench`.

Measured on the shared 2-core development machine (load average 5 to 6),
--events 2000, three alternating runs each; per post (the three events):
this process's CPU, its PostgreSQL backends' CPU, statements:

- before (25738d7: the erasure check, the fact, each derived upsert, the
  region lookup and the outbox row each a statement): 8,400 to 9,800 µs,
  1,850 to 2,150 µs, 17 statements (7 + 4 + 6);
- after (one statement per event besides the inbox claim, the region map
  cached): 2,500 to 4,100 µs, 1,070 to 1,530 µs, 6 statements (2 + 2 + 2).
"""
from __future__ import annotations

import argparse
import os
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
        AnalyticsService.on_event(worker, [body])  # the batched entrypoint takes a list: a batch of one


def backend_cpu(pids: set[int]) -> float:
    """CPU seconds used so far by these PostgreSQL backends."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # PostgreSQL elsewhere (or the backend gone): not counted
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def run(sessions, pseudonym, bodies_by_kind: dict[str, list[dict]], statements: Counter, backends: set[int]):
    results = {}
    for kind in KINDS:
        bodies = bodies_by_kind[kind]
        statements.clear()
        database = backend_cpu(backends)
        started = time.process_time()
        for body in bodies:
            handle(sessions, pseudonym, body)
        cpu = time.process_time() - started
        database = backend_cpu(backends) - database
        results[kind] = (cpu / len(bodies) * 1e6, database / len(bodies) * 1e6,
                         sum(statements.values()) / len(bodies), dict(statements))
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

    backends: set[int] = set()

    @event.listens_for(engine, "before_cursor_execute")
    def count(conn, cursor, statement, *rest):
        statements[" ".join(statement.split()[:3])] += 1

    @event.listens_for(engine, "connect")
    def remember_backend(dbapi_connection, record):
        backends.add(dbapi_connection.info.backend_pid)

    try:
        warmup = [e for i in range(args.warmup) for e in post_events(i)]
        for env in warmup:  # statement caches, pool, first-use imports
            handle(sessions, pseudonym, env.model_dump(mode="json"))
        posts = [post_events(i) for i in range(args.events)]
        bodies = {kind: [envs[k].model_dump(mode="json") for envs in posts] for k, kind in enumerate(KINDS)}
        results = run(sessions, pseudonym, bodies, statements, backends)
        print(f"{args.events} events of each kind; CPU of this process, and of its PostgreSQL backends")
        print(f"{'event':32} {'CPU µs/event':>13} {'PostgreSQL µs':>14} {'statements/event':>17}")
        for kind, (cpu_us, database_us, per_event, _) in results.items():
            print(f"{kind:32} {cpu_us:13.0f} {database_us:14.0f} {per_event:17.2f}")
        totals = [sum(r[i] for r in results.values()) for i in range(3)]
        print(f"{'one post (the three)':32} {totals[0]:13.0f} {totals[1]:14.0f} {totals[2]:17.2f}")
        if args.show_statements:
            for kind, (*_, seen) in results.items():
                print(kind, {k: round(v / args.events, 2) for k, v in seen.items()})
    finally:
        engine.dispose()
        drop_database(cfg, SERVICE)


if __name__ == "__main__":
    main()
