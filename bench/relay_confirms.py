"""The outbox relay's publishing rate: confirms awaited per batch against one
confirm per row (issue 17), in one run, on a vhost and a database of its own.

The reference is the relay's own one-row-at-a-time path (issue 15's, still
what a row that failed before goes through): the same rows, the same broker,
a quorum queue bound as the services' event queues are. Rounds alternate
between the two so that the machine's other load falls on both alike; the
medians and their ratio are printed, with the load average.

    .venv/bin/python -m bench.relay_confirms [--rows 500] [--rounds 3]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid
from datetime import datetime, timezone
from urllib.parse import quote, urlsplit

from kombu import Connection
from sqlalchemy import insert

from shared.db.engine import drop_database, ensure_database, make_engine
from shared.db.tables import messaging_metadata, outbox
from shared.messaging.amqp import events_exchange
from shared.messaging.outbox_relay import OutboxRelay
from shared.messaging.topology import management_api
from shared.settings import Settings

SERVICE = "relaybench"


def add_rows(engine, count: int, attempts: int) -> None:
    rows = []
    for _ in range(count):
        event_id = uuid.uuid4()
        rows.append({
            "event_id": event_id, "event_type": f"{SERVICE}.probe_happened", "exchange": f"{SERVICE}.events",
            "routing_key": "probe_happened", "attempts": attempts,
            "envelope": {"event_id": str(event_id), "event_type": f"{SERVICE}.probe_happened", "version": 1,
                         "occurred_at": datetime.now(timezone.utc).isoformat(), "correlation_id": None,
                         "payload": {"text": "x" * 400}},
        })
    with engine.begin() as conn:
        conn.execute(insert(outbox), rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    base = Settings()
    run = uuid.uuid4().hex[:8]
    vhost = f"bench-relay-{run}"
    parts = urlsplit(base.amqp_uri)
    settings = base.model_copy(update={"amqp_uri": f"{parts.scheme}://{parts.netloc}/{quote(vhost, safe='')}",
                                       "db_name_prefix": f"brelay{run}_"})
    with management_api(settings.rabbitmq_management_url, timeout=120) as api:
        api.put(f"/api/vhosts/{quote(vhost, safe='')}").raise_for_status()
        user = urlsplit(settings.rabbitmq_management_url).username or "guest"
        api.put(f"/api/permissions/{quote(vhost, safe='')}/{user}",
                json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    ensure_database(settings, SERVICE)
    engine = make_engine(settings.database_url(SERVICE), pool_size=1, settings=settings)
    relay = OutboxRelay(engine, settings.amqp_uri, SERVICE)
    try:
        messaging_metadata.create_all(engine)
        with Connection(settings.amqp_uri) as conn:
            channel = conn.channel()
            events_exchange(SERVICE)(channel).declare()
            channel.queue_declare("relaybench-probe", durable=True, auto_delete=False,
                                  arguments={"x-queue-type": "quorum"})
            channel.queue_bind("relaybench-probe", f"{SERVICE}.events", "#")
        times = {"one confirm per row": [], "confirms per batch": []}
        for _ in range(args.rounds):
            for name, attempts in (("one confirm per row", 1), ("confirms per batch", 0)):
                add_rows(engine, args.rows, attempts)
                started = time.perf_counter()
                sent = relay.drain()
                elapsed = time.perf_counter() - started
                assert sent == args.rows, f"{name}: {sent} of {args.rows} sent"
                times[name].append(args.rows / elapsed)
                with Connection(settings.amqp_uri) as conn:
                    conn.channel().queue_purge("relaybench-probe")
        load = " ".join(f"{v:.1f}" for v in os.getloadavg())
        for name, rates in times.items():
            print(f"{name:22} median {statistics.median(rates):7.0f} events/s  (rounds: "
                  f"{', '.join(f'{r:.0f}' for r in rates)})")
        ratio = statistics.median(times["confirms per batch"]) / statistics.median(times["one confirm per row"])
        print(f"relay: confirms per batch {ratio:.1f} x one confirm per row, {args.rows} events a round, "
              f"load average {load}")
    finally:
        relay.close()
        engine.dispose()
        drop_database(settings, SERVICE)
        with management_api(settings.rabbitmq_management_url, timeout=120) as api:
            api.delete(f"/api/vhosts/{quote(vhost, safe='')}")


if __name__ == "__main__":
    main()
