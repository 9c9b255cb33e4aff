"""Moderation's CPU time per screened post, in process: N post_created events
handled by the service's real handler (the chassis' inbox claim, screen_post,
the outbox rows, the commit) on the real unit of work against a real
PostgreSQL database (created and migrated for the run, dropped after), with
the real screening pool (its worker processes). No broker: the relay and
the consumer's AMQP work are the chassis', measured elsewhere.

    .venv/bin/python -m bench.moderation.screen_cpu [-n 1000] [--authors N] [--repeat 3] [--batch 20]
    .venv/bin/python -m bench.moderation.screen_cpu --hop

The pool is the service's (services.moderation.service.screening_pool), with
its settings: SCREENING_IN_PROCESS_CHARS=0 sends every text to a worker.

Posts are like `make bench`'s writes (bench/ratios.py): ~200 characters,
clean, a new text each time. `--authors` (default: one per post) spreads
them over that many writers; `--authors 8`, as `make bench` does, makes
most of them held by spam.flood (more than 5 posts in 10 minutes each).
`--batch` (default 1): events handed to the entrypoint together, as the
batched consumer does when they arrive together under load (one unit of
work and one commit per batch).

Prints, per repeat and as the median: CPU µs per post of this process (the
service's side: time.process_time) and of the screening workers (utime +
stime of their /proc/<pid>/stat), and SQL statements per post (SQLAlchemy's
before_cursor_execute; COMMIT is not a statement there); then the same for
the post_published event posts sends next about each post. Then the bound on
screening in process: the slowest hostile input of bench/moderation/inputs.py
cut to the in-process threshold (best of three, wall time of this process).
"""
import eventlet

eventlet.monkey_patch()  # as `nameko run` does: psycopg, pipes and sockets green

import argparse  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections import Counter  # noqa: E402
from datetime import datetime, timezone  # noqa: E402

from sqlalchemy import event  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

from services.moderation.screening import default_screener  # noqa: E402
from bench.moderation.inputs import hostile_inputs  # noqa: E402
from services.moderation.repository import ModerationUnitOfWork  # noqa: E402
from services.moderation.screening_pool import ScreeningPool  # noqa: E402
from services.moderation.service import ModerationService, screening_pool  # noqa: E402
from shared.contracts import Envelope  # noqa: E402
from shared.contracts.posts import PostCreated, PostPublished  # noqa: E402
from shared.db import migrations  # noqa: E402
from shared.db.engine import drop_database, ensure_database, make_engine  # noqa: E402
from shared.settings import get_settings  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


class Host:
    """What the chassis' `consumes` wrapper and the entrypoint read of `self`."""

    name = ModerationService.name
    keeps_idempotency_keys = ModerationService.keeps_idempotency_keys
    now = staticmethod(ModerationService.now)

    def __init__(self, screener):
        self.screener = screener
        self.uow = None


def process_cpu(pid: int) -> float:
    """Seconds of CPU (user + system) a process used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def workers_cpu(pool: ScreeningPool) -> dict[int, float]:
    return {w.process.pid: process_cpu(w.process.pid) for w in pool._all}


def post_bodies(n: int, authors: list[str]) -> list[dict]:
    bodies = []
    for i in range(n):
        tag = uuid.uuid4().int % 1_000_000_000
        event = PostCreated(
            post_id=str(uuid.uuid4()), author_id=authors[i % len(authors)], agency_code="HDF-LILLE", kind="discussion",
            title=f"Échange n° {i + 1} entre demandeurs d'emploi",
            body=f"Message {i + 1}-{tag} : je partage mes démarches de la semaine et je cherche des conseils pour "
                 "relancer une candidature sans paraître insistant.",
            topics=[], created_at=datetime.now(timezone.utc),
        )
        bodies.append(Envelope.wrap(event, correlation_id="bench").model_dump(mode="json"))
    return bodies


def run_once(sessions, pool: ScreeningPool, n: int, authors: int, batch: int = 1) -> dict:
    writers = [str(uuid.uuid4()) for _ in range(authors or n)]
    bodies = post_bodies(n, writers)
    screened = handled(sessions, pool, ModerationService.on_post_created, bodies, batch)
    # What posts tells next of each post (its publication; a held post's is alike): a second event per post written.
    published = [
        Envelope.wrap(PostPublished(post_id=b["payload"]["post_id"], author_id=b["payload"]["author_id"],
                                    agency_code="HDF-LILLE", kind="discussion", topics=[],
                                    published_at=datetime.now(timezone.utc)), "bench").model_dump(mode="json")
        for b in bodies
    ]
    return {**screened, "published": handled(sessions, pool, ModerationService.on_post_published, published, batch)}


def handled(sessions, pool: ScreeningPool, handle, bodies: list[dict], batch: int = 1) -> dict:
    """`bodies` handled by `handle`, the chassis' batched wrapper (inbox
    claims, handler, commit), `batch` at a time: CPU and statements each."""
    n, host = len(bodies), Host(pool)
    statements = Counter()
    engine = sessions.kw["bind"]

    def count(conn, cursor, statement, *rest):
        statements[statement.split(None, 1)[0].upper()] += 1

    event.listen(engine, "before_cursor_execute", count)
    workers_before, cpu_before = workers_cpu(pool), time.process_time()
    try:
        for start in range(0, n, batch):
            with ModerationUnitOfWork(sessions, "bench") as uow:
                host.uow = uow
                handle(host, bodies[start:start + batch])
    finally:
        cpu_after, workers_after = time.process_time(), workers_cpu(pool)
        event.remove(engine, "before_cursor_execute", count)
    worker_cpu = sum(workers_after[pid] - workers_before[pid] for pid in workers_after if pid in workers_before)
    return {
        "service_us": 1e6 * (cpu_after - cpu_before) / n,
        "workers_us": 1e6 * worker_cpu / n,
        "statements": sum(statements.values()) / n,
        "kinds": {k: v / n for k, v in sorted(statements.items())},
    }


def slowest_hostile(length: int) -> tuple[float, str]:
    """The slowest whole screening of a hostile input `length` characters long (seconds, which)."""
    screener, slowest = default_screener(), (0.0, "")
    for detector, texts in hostile_inputs(length).items():
        for name, text in texts.items():
            best = min(timed(screener.screen, text) for _ in range(3))
            slowest = max(slowest, (best, f"{detector}: {name}"))
    return slowest


def timed(function, text: str) -> float:
    started = time.perf_counter()
    function(text)
    return time.perf_counter() - started


def hop_versus_here(n: int = 2000) -> None:
    """One bench post's text screened N times through a worker (CPU of both
    sides) and in this process, without the database."""
    from services.moderation.config import load_rules
    from services.moderation.screening_pool import ScreeningPool

    event = PostCreated.model_validate(Envelope.model_validate(post_bodies(1, ["a"])[0]).payload)
    text, at = f"{event.title} — {event.body}", event.created_at
    pool = ScreeningPool(load_rules(), 1, 1.0)
    try:
        for screen in (pool.screen, default_screener().screen):
            for _ in range(200):
                screen(text, target_id="t", created=True, at=at, recent=[])
            workers, cpu = workers_cpu(pool), time.process_time()
            for _ in range(n):
                screen(text, target_id="t", created=True, at=at, recent=[])
            here = 1e6 * (time.process_time() - cpu) / n
            there = 1e6 * sum(process_cpu(pid) - spent for pid, spent in workers.items()) / n
            where = "through a worker" if screen == pool.screen else "in process"
            print(f"a {len(text)}-character post screened {where}: this process {here:,.0f} µs, "
                  f"the worker {there:,.0f} µs, {here + there:,.0f} µs in all")
    finally:
        pool.close()


def decisions(settings) -> dict:
    import psycopg

    with psycopg.connect(f"{settings.postgres_url.rstrip('/')}/{settings.database_name('moderation')}") as conn:
        rows = conn.execute("SELECT envelope->'payload'->>'decision', count(*) FROM outbox "
                            "WHERE event_type = 'moderation.content_screened' GROUP BY 1").fetchall()
    return dict(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=1000, help="post_created events per repeat (default 1000)")
    parser.add_argument("--authors", type=int, default=0, help="writers in turn (default: one per post)")
    parser.add_argument("--repeat", type=int, default=3, help="repeats; the median is printed (default 3)")
    parser.add_argument("--batch", type=int, default=1, help="events per batch (default 1)")
    parser.add_argument("--hop", action="store_true", help="only: a worker's round trip against screening in process")
    args = parser.parse_args()
    if args.hop:
        hop_versus_here()
        return

    settings = get_settings().model_copy(update={"db_name_prefix": f"bench{int(time.time())}{uuid.uuid4().hex[:4]}_"})
    ensure_database(settings, "moderation")
    pool = None
    try:
        migrations.upgrade(settings, "moderation")
        engine = make_engine(settings.database_url("moderation"), pool_size=1, settings=settings)
        sessions = sessionmaker(engine, expire_on_commit=False)  # as shared/db/nameko.py makes it
        pool = screening_pool()  # the service's own: its workers, budget and in-process threshold
        run_once(sessions, pool, min(args.n, 100), args.authors, args.batch)  # warm up: imports, caches, connections
        runs = []
        for r in range(args.repeat):
            result = run_once(sessions, pool, args.n, args.authors, args.batch)
            runs.append(result)
            print(f"run {r + 1}: service {result['service_us']:,.0f} µs/post, screening workers "
                  f"{result['workers_us']:,.0f} µs/post, {result['statements']:.2f} statements/post "
                  f"{result['kinds']}; post_published: {result['published']['service_us']:,.0f} µs, "
                  f"{result['published']['statements']:.2f} statements {result['published']['kinds']}", flush=True)
        print(f"decisions (all runs, warm-up included): {decisions(settings)}")
        service = statistics.median(r["service_us"] for r in runs)
        workers = statistics.median(r["workers_us"] for r in runs)
        print(f"median of {args.repeat} x {args.n} posts ({args.authors or 'one per post'} authors, "
              f"batches of {args.batch}): "
              f"service {service:,.0f} µs/post + screening workers {workers:,.0f} µs/post = "
              f"{service + workers:,.0f} µs/post; {runs[-1]['statements']:.2f} SQL statements/post")
        published = statistics.median(r["published"]["service_us"] for r in runs)
        print(f"then post_published: {published:,.0f} µs/event, "
              f"{runs[-1]['published']['statements']:.2f} SQL statements/event")
        engine.dispose()
        if getattr(pool, "in_process_up_to", 0):  # (absent before issue 17: the bench runs on older code too)
            spent, which = slowest_hostile(pool.in_process_up_to)
            print(f"screened in process up to {pool.in_process_up_to:,} characters; the slowest hostile input of "
                  f"that length: {spent * 1000:,.1f} ms ({which})")
    finally:
        if pool is not None:
            pool.close()
        drop_database(settings, "moderation")


if __name__ == "__main__":
    main()
