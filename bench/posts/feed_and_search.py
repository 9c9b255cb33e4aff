"""Feed and search latency of the posts service over 1,000,000 posts.

Seeds a dedicated database (`<DB_NAME_PREFIX>bench_posts`, default
`platform_bench_posts`) with PostgreSQL COPY, then times the service's own
use cases (services.posts.handlers.feed and list_posts, which run the
repository's real queries) and prints p50/p95 in milliseconds.

    .venv/bin/python -m bench.posts.feed_and_search            # seed (once) and measure
    .venv/bin/python -m bench.posts.feed_and_search --reseed   # drop and seed again
"""
import argparse
import json
import random
import statistics
import time
import uuid
from datetime import datetime, timedelta, timezone

import psycopg
from sqlalchemy.orm import sessionmaker

from services.posts import handlers
from services.posts.repository import PostsUnitOfWork
from shared.caller import Caller
from shared.contracts.identity import ProfileUpdated
from shared.db import migrations
from shared.db.engine import drop_database, ensure_database, make_engine
from shared.settings import REPO_ROOT, get_settings

SERVICE = "bench_posts"  # database <prefix>bench_posts, migrated with posts' own history
AGENCIES = [f"AG-{i:02d}" for i in range(11)]
RARE_WORD = "chaudronnerie"  # in 0.002 % of posts
COMMON_WORD = "emploi"  # in about 60 % of posts
WORDS = (
    "recherche candidature entretien formation métier logistique cariste magasinier préparateur commandes "
    "soignante infirmière cuisine restaurant vente caisse rayon bâtiment maçon électricien peinture chantier "
    "informatique développeur comptable secrétaire accueil transport chauffeur livraison permis agence conseil "
    "reconversion motivation stage alternance contrat intérim salaire horaires mobilité déménagement réseau "
    "atelier salon recrutement compétences expérience diplôme certificat qualification équipe projet"
).split()
SEED = 20240601


def database_url(cfg) -> str:
    return cfg.database_url(SERVICE)


def ensure_schema(cfg, reseed: bool) -> bool:
    """Create and migrate the bench database; True when it must be seeded."""
    if reseed:
        drop_database(cfg, SERVICE)
    created = ensure_database(cfg, SERVICE)
    # posts' own Alembic history, applied to the bench database.
    from alembic import command

    command.upgrade(migrations.alembic_config("posts", database_url(cfg)), "head")
    if created:
        return True
    with psycopg.connect(plain_url(cfg)) as conn:
        return conn.execute("SELECT count(*) FROM posts").fetchone()[0] == 0


def plain_url(cfg) -> str:
    return f"{cfg.postgres_url.rstrip('/')}/{cfg.database_name(SERVICE)}"


def topic_slugs() -> list[str]:
    topics = json.loads((REPO_ROOT / "services/posts/data/topics.json").read_text())["topics"]
    return [t["slug"] for t in topics]


def seed(cfg, rows: int) -> None:
    rng = random.Random(SEED)
    slugs = topic_slugs()
    authors = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(20_000)]
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    span = 2 * 365 * 24 * 3600
    with psycopg.connect(plain_url(cfg)) as conn:
        conn.execute("TRUNCATE posts, post_topics, authors CASCADE")
        # The trigger keeping post_topics is replaced by one INSERT … SELECT after the COPY.
        conn.execute("ALTER TABLE posts DISABLE TRIGGER posts_sync_topics_insert")
        began = time.monotonic()
        with conn.cursor().copy(
            "COPY posts (id, kind, title, body, topics, author_id, agency_code, status, created_at, updated_at, "
            "published_at, pinned, revision, screenings_received) FROM STDIN"
        ) as copy:
            # In time order, as a live platform writes them: the table's pages
            # follow created_at, as the newest-first index walks read them.
            # (Random order made each row of a walk a page of its own: search
            # 40 % slower than on the same rows in time order, issue 17.)
            for i, offset in enumerate(sorted(rng.randrange(span) for _ in range(rows))):
                created = start + timedelta(seconds=offset)
                words = rng.choices(WORDS, k=24)
                if rng.random() < 0.6:
                    words[rng.randrange(24)] = COMMON_WORD
                if i % 50_000 == 7:
                    words[0] = RARE_WORD
                status = "published" if rng.random() < 0.95 else rng.choice(["pending", "held", "removed"])
                copy.write_row((
                    uuid.UUID(int=rng.getrandbits(128)), rng.choice(["question", "discussion", "testimony"]),
                    " ".join(words[:6]).capitalize(), " ".join(words), json.dumps(rng.sample(slugs, rng.randint(1, 3))),
                    rng.choice(authors), rng.choice(AGENCIES), status, created, created,
                    created if status == "published" else None, rng.random() < 0.00005, 1, 1,
                ))
        conn.execute("ALTER TABLE posts ENABLE TRIGGER posts_sync_topics_insert")
        conn.execute(
            "INSERT INTO post_topics (topic, post_id, created_at, agency_code, search) "
            "SELECT DISTINCT t, p.id, p.created_at, p.agency_code, p.search FROM posts p, jsonb_array_elements_text(p.topics) t "
            "WHERE p.status = 'published'"
        )
        conn.commit()
        print(f"seeded {rows:,} posts in {time.monotonic() - began:.0f} s")
    with psycopg.connect(plain_url(cfg), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE posts")
        conn.execute("VACUUM ANALYZE post_topics")


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def timed(fn, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - began) * 1000)
    return samples


def measure(cfg, runs: int) -> dict:
    engine = make_engine(cfg.database_url(SERVICE), pool_size=2)
    sessions = sessionmaker(engine, expire_on_commit=False)
    rng = random.Random(SEED + 1)
    slugs = topic_slugs()
    readers = []
    with PostsUnitOfWork(sessions) as uow:
        for _ in range(50):
            reader = Caller(str(uuid.uuid4()), "job_seeker", rng.choice(AGENCIES))
            uow.authors.rename(ProfileUpdated(user_id=reader.id, display_name="Lecteur", topics=rng.sample(slugs, 3),
                                              updated_at=datetime.now(timezone.utc)))
            readers.append(reader)
        uow.commit()

    def call(fn, caller, query):
        with PostsUnitOfWork(sessions) as uow:
            return fn(uow, caller, query)

    # Warm the caches the way a running service is warm.
    for reader in readers[:10]:
        call(handlers.feed, reader, {})
        call(handlers.list_posts, reader, {"q": COMMON_WORD})
    results = {}
    first_page = {}
    results["feed, first page"] = timed(lambda: call(handlers.feed, rng.choice(readers), {}), runs)

    def feed_next_page():
        reader = rng.choice(readers)
        page = first_page.get(reader.id) or call(handlers.feed, reader, {})
        first_page[reader.id] = page
        call(handlers.feed, reader, {"cursor": page["next_cursor"]})

    for reader in readers:
        first_page[reader.id] = call(handlers.feed, reader, {})
    results["feed, next page"] = timed(feed_next_page, runs)
    results[f"search, rare word ({RARE_WORD})"] = timed(lambda: call(handlers.list_posts, rng.choice(readers), {"q": RARE_WORD}), runs)
    results[f"search, common word ({COMMON_WORD})"] = timed(
        lambda: call(handlers.list_posts, rng.choice(readers), {"q": COMMON_WORD}), runs
    )
    results["search, common word + stem (formations)"] = timed(
        lambda: call(handlers.list_posts, rng.choice(readers), {"q": "formations"}), runs
    )
    engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=300, help="timed calls per scenario")
    parser.add_argument("--reseed", action="store_true", help="drop the bench database and seed it again")
    args = parser.parse_args()
    cfg = get_settings()
    if ensure_schema(cfg, args.reseed):
        seed(cfg, args.rows)
    with psycopg.connect(plain_url(cfg)) as conn:
        total, published = conn.execute("SELECT count(*), count(*) FILTER (WHERE status = 'published') FROM posts").fetchone()
    print(f"database {cfg.database_name(SERVICE)}: {total:,} posts ({published:,} published)")
    print(f"{'scenario':45} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, samples in measure(cfg, args.runs).items():
        print(f"{name:45} {statistics.median(samples):8.1f} {percentile(samples, 95):8.1f} {max(samples):8.1f}")


if __name__ == "__main__":
    main()
