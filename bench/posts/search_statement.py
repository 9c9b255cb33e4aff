"""The search statement alone over 1,000,000 posts (issue 17).

PostgreSQL's share of a search through the gateway, without the gateway,
the broker or nameko: the searches of bench/posts/through_gateway.py's mix
(one or two words, sometimes a topic, a kind or an agency), each run by
`PostRepository.search` (the service's own statement and parameters, never
prepared) on the seeded database `<DB_NAME_PREFIX>bench_posts` (seeded once by
feed_and_search). Prints the mean wall time per search of each run, client
included, and with --by-shape the last run's mean per shape of search (words,
filter); runs repeat the same searches, so compare runs, and compare two
commits by running each in turn (`git archive` of the other into a directory).

    .venv/bin/python -m bench.posts.search_statement [--searches 400] [--runs 3] [--by-shape]
"""
from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid
from collections import defaultdict

from sqlalchemy.orm import Session

from bench.posts import feed_and_search
from bench.posts.through_gateway import search_query
from services.posts.repository import PostRepository
from shared.db.engine import make_engine
from shared.settings import get_settings


def shape(query: dict) -> str:
    words = "one word" if len(query["q"].split()) == 1 else "two words"
    labels = {"topic": "within a topic", "kind": "of a kind", "agency": "of an agency"}
    filter_ = next((label for name, label in labels.items() if name in query), "no filter")
    return f"{words}, {filter_}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--searches", type=int, default=400, help="searches per run (default 400)")
    parser.add_argument("--runs", type=int, default=3, help="runs (default 3; the first warms the caches)")
    parser.add_argument("--by-shape", action="store_true", help="the last run's mean per shape of search")
    args = parser.parse_args()
    cfg = get_settings()
    rng = random.Random(7)
    slugs = feed_and_search.topic_slugs()
    searches = [search_query(rng, slugs) for _ in range(args.searches)]
    engine = make_engine(feed_and_search.database_url(cfg), pool_size=1)
    with Session(engine) as session:
        posts = PostRepository(session)
        for run in range(1, args.runs + 1):
            shapes = defaultdict(list)
            started = time.perf_counter()
            for query in searches:
                one = time.perf_counter()
                posts.search(query["q"], viewer_id=str(uuid.uuid4()), topic=query.get("topic"),
                             kind=query.get("kind"), agency=query.get("agency"))
                session.rollback()
                shapes[shape(query)].append((time.perf_counter() - one) * 1000)
            took = (time.perf_counter() - started) / len(searches) * 1000
            print(f"run {run}: {len(searches)} searches, {took:.2f} ms per search (mean wall time)", flush=True)
        if args.by_shape:
            for name, times in sorted(shapes.items(), key=lambda item: -sum(item[1])):
                print(f"  {name:32} {len(times):4} searches  mean {statistics.mean(times):6.2f} ms  "
                      f"share of the time {sum(times) / sum(map(sum, shapes.values())) * 100:4.1f} %")
    engine.dispose()


if __name__ == "__main__":
    main()
