"""analytics over the real broker and database: contract events in, facts,
KPIs, the data team's stream, rebuild, GDPR."""
import json
import subprocess
import sys
import uuid

import httpx
import jsonschema
import pytest
from kombu import Connection

from services.analytics import stream_schemas
from services.analytics.privacy import Pseudonymizer
from services.analytics.settings import load_pseudonym_key
from shared.contracts import Envelope
from shared.contracts.identity import UserErased
from shared.settings import REPO_ROOT
from stack.testing import db_connect, free_port, service_env, wait_for
from tests.unit.services.test_analytics_scenario import EXPECTED_LILLE_MARCH, LILLE, People, month_of_events
from tools.datastream import reader

pytestmark = pytest.mark.integration

MARCH = {"agency": LILLE, "from": "2026-03-01", "to": "2026-03-31"}
# The service runs at today's date, not the scenario's: js4 (registered on March 25) is now in the retention cohort.
EXPECTED_TODAY = {**EXPECTED_LILLE_MARCH, "retention_30d_ratio": 0.3333}


@pytest.fixture(scope="module")
def analytics(start_service):
    port = free_port()
    proc = start_service("analytics", METRICS_PORT=port, ANALYTICS_KPI_REFRESH_SECONDS=0.5, ANALYTICS_KPI_WINDOW_DAYS=366)
    proc.metrics_url = f"http://127.0.0.1:{port}/metrics"
    return proc


def publish(settings, envelopes) -> None:
    with Connection(settings.amqp_uri, transport_options={"confirm_publish": True}, connect_timeout=30) as conn:
        producer = conn.Producer(serializer="json")
        for env in envelopes:
            producer.publish(env.model_dump(mode="json"), exchange=f"{env.producer}.events",
                             routing_key=env.routing_key, declare=[], delivery_mode=2, retry=True)


def facts_of(settings, event_ids) -> int:
    with db_connect(settings, "analytics") as conn:
        return conn.execute("SELECT count(*) FROM facts WHERE event_id = ANY(%s)", (list(event_ids),)).fetchone()[0]


def stream_messages(settings, event_ids: set[str]) -> list[dict]:
    return [m.body for m in reader.read(settings.amqp_uri, "first", idle_seconds=1.0) if m.body["event_id"] in event_ids]


def as_caller(user_id, role="job_seeker", agency=LILLE):
    return {"id": user_id, "role": role, "agency_code": agency}


@pytest.fixture(scope="module")
def month(analytics, platform):
    people = People()
    envelopes = [Envelope.wrap(e) for e in month_of_events(people)]
    publish(platform, envelopes)
    ids = {env.event_id for env in envelopes}
    wait_for(lambda: facts_of(platform, ids) == len(ids), timeout=60, message="every event to be a fact")
    return people, envelopes


def test_every_figure_of_a_known_month(month, rpc, admin):
    out = rpc(admin).analytics.kpis(MARCH)
    assert {k: v for k, v in out.items() if k not in {"agency", "region", "from", "to"}} == EXPECTED_TODAY
    assert out["region"] == "Hauts-de-France"


def test_an_advisor_reads_their_agency_and_nothing_else(month, rpc):
    advisor = as_caller(str(uuid.uuid4()), "advisor", LILLE)
    assert rpc(advisor).analytics.kpis({"from": "2026-03-01", "to": "2026-03-31"})["posts"] == 4
    from nameko.exceptions import RemoteError

    with pytest.raises(RemoteError) as caught:
        rpc(advisor).analytics.kpis({"agency": "HDF-ROUBAIX"})
    assert caught.value.exc_type == "Forbidden"


def test_each_event_is_one_stream_message_valid_and_without_personal_data(month, platform):
    people, envelopes = month
    ids = {str(env.event_id) for env in envelopes}
    messages = wait_for(lambda: (m := stream_messages(platform, ids)) and len(m) >= len(ids) and m, timeout=30,
                        message="every stream message")
    assert sorted(m["event_id"] for m in messages) == sorted(ids)  # one each, no more
    pseudonym = Pseudonymizer(load_pseudonym_key())
    raw_people = [people.js1, people.js2, people.js3, people.js4, people.adv, people.company, people.other]
    for message in messages:
        schema = json.loads((stream_schemas.SCHEMA_DIR / stream_schemas.file_name(message["event_type"], message["version"])).read_text())
        jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(message)
        text = json.dumps(message)
        assert not any(raw in text for raw in raw_people), message["event_type"]
        assert "privé" not in text and "Camille" not in text and "exemple.fr" not in text
    registered = next(m for m in messages if m["event_type"] == "identity.user_registered"
                      and m["payload"]["user_id"] == pseudonym(people.js1))
    assert registered["actor"] == pseudonym(people.js1) and registered["region"] == "Hauts-de-France"


def test_a_duplicate_event_is_one_fact_and_one_message(month, platform):
    people, _ = month
    again = Envelope.wrap(UserErased(user_id=str(uuid.uuid4()), erased_at="2026-03-30T00:00:00Z"))
    publish(platform, [again, again])
    wait_for(lambda: facts_of(platform, {again.event_id}) == 1, timeout=20)
    assert len(wait_for(lambda: stream_messages(platform, {str(again.event_id)}), timeout=20)) == 1


def test_rebuild_re_derives_the_same_tables_from_the_facts(month, rpc, admin, platform):
    before = rpc(admin).analytics.kpis(MARCH)
    with db_connect(platform, "analytics") as conn:
        conn.execute("DELETE FROM posts")
        conn.execute("DELETE FROM comments")
    assert rpc(admin).analytics.kpis(MARCH)["posts"] == 0
    done = subprocess.run([sys.executable, "-m", "services.analytics.rebuild"], cwd=REPO_ROOT,
                          env=service_env(platform), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert rpc(admin).analytics.kpis(MARCH) == before


def test_kpis_answer_and_events_are_handled_during_a_rebuild(month, rpc, admin, platform):
    """Issue 15: the rebuild builds new tables beside the live ones, so KPIs
    and event handling go on; facts that arrive meanwhile are in the result."""
    import threading
    import time
    from datetime import datetime, timezone

    from services.analytics import rebuild
    from shared.contracts.posts import PostCreated
    from shared.db.engine import make_engine

    def posts_rows():
        with db_connect(platform, "analytics") as conn:
            return conn.execute("SELECT count(*) FROM posts").fetchone()[0]

    before = rpc(admin).analytics.kpis(MARCH)
    patient = platform.model_copy(update={"db_lock_timeout_ms": 60_000})  # the build waits on the test's lock
    engine = make_engine(platform.database_url("analytics"), pool_size=2, settings=patient)
    built: list = []
    try:
        rebuild.prepare(engine)
        with db_connect(platform, "analytics") as holder:
            # Hold the build half-way: it waits on a table of its own, never on a live one.
            holder.execute("BEGIN")
            holder.execute(f"LOCK TABLE {rebuild.SCHEMA}.posts IN ACCESS EXCLUSIVE MODE")
            builder = threading.Thread(target=lambda: built.append(rebuild.build(engine)), daemon=True)
            builder.start()
            wait_for(lambda: _waiting_on_lock(platform), timeout=20, message="the build to be under way")

            started = time.monotonic()
            assert rpc(admin).analytics.kpis(MARCH) == before
            assert time.monotonic() - started < 3, "KPIs waited for the rebuild"
            late = Envelope.wrap(PostCreated(
                post_id=str(uuid.uuid4()), author_id=str(uuid.uuid4()), agency_code=LILLE, kind="question",
                title="Pendant la reconstruction", body="…", topics=[], created_at=datetime.now(timezone.utc)))
            publish(platform, [late])
            wait_for(lambda: facts_of(platform, {late.event_id}) == 1, timeout=20, message="an event handled")
            live_rows = posts_rows()
            holder.execute("COMMIT")
        builder.join(60)
        assert built, "the build did not finish"
        rebuild.swap(engine)
    finally:
        engine.dispose()
    assert posts_rows() == live_rows  # the late fact was replayed into the new tables
    assert rpc(admin).analytics.kpis(MARCH) == before
    with db_connect(platform, "analytics") as conn:
        assert conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname = %s", (rebuild.SCHEMA,)).fetchone()[0] == 0


def _waiting_on_lock(platform) -> bool:
    with db_connect(platform, "analytics") as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()[0] > 0


def test_the_headline_kpis_are_prometheus_gauges_per_agency(month, analytics, rpc, admin):
    def gauges():
        text = httpx.get(analytics.metrics_url).text
        return {line.split(" ")[0]: float(line.split(" ")[1]) for line in text.splitlines()
                if line.startswith("platform_kpi_") and 'agency="HDF-LILLE"' in line}

    def agrees():
        from datetime import date, timedelta
        today = date.today()
        figures = rpc(admin).analytics.kpis({"agency": LILLE, "from": (today - timedelta(days=365)).isoformat(),
                                              "to": today.isoformat()})
        seen = gauges()
        return seen.get('platform_kpi_posts{agency="HDF-LILLE"}') == figures["posts"] and seen

    seen = wait_for(agrees, timeout=20, message="the gauges to match the figures")
    for name in ("active_users", "posts", "answered_question_ratio", "median_minutes_to_first_answer",
                 "event_fill_rate", "mentoring_matches"):
        assert f'platform_kpi_{name}{{agency="HDF-LILLE"}}' in seen, name


def test_gdpr_export_and_erasure(month, rpc, platform, admin):
    people, _ = month
    pseudonym = Pseudonymizer(load_pseudonym_key())
    mine = pseudonym(people.js3)
    exported = rpc(as_caller(people.js3)).analytics.export_user_data()
    assert exported["pseudonym"] == mine and len(exported["facts"]) >= 5
    before = rpc(admin).analytics.kpis(MARCH)

    erasure = Envelope.wrap(UserErased(user_id=people.js3, erased_at="2026-04-01T00:00:00Z"))
    publish(platform, [erasure])
    wait_for(lambda: facts_of(platform, {erasure.event_id}) == 1, timeout=20)
    assert rpc(as_caller(people.js3)).analytics.export_user_data()["facts"] == []
    with db_connect(platform, "analytics") as conn:
        assert conn.execute("SELECT count(*) FROM facts WHERE actor = %s OR strpos(payload::text, %s) > 0",
                            (mine, mine)).fetchone()[0] == 0
        for table, column in (("members", "person"), ("activities", "person"), ("interactions", "peer")):
            assert conn.execute(f"SELECT count(*) FROM {table} WHERE {column} = %s", (mine,)).fetchone()[0] == 0
    assert rpc(admin).analytics.kpis(MARCH) == before
    told = wait_for(lambda: stream_messages(platform, {str(erasure.event_id)}), timeout=20)
    assert told[0]["payload"]["user_id"] == mine  # the data team learns whom to forget


def test_the_stream_is_a_stream_queue_with_a_retention_age(platform):
    from urllib.parse import quote

    from shared.messaging.topology import management_api, vhost_of

    with management_api(platform.rabbitmq_management_url, timeout=60) as api:
        queue = api.get(f"/api/queues/{quote(vhost_of(platform.amqp_uri), safe='')}/analytics.stream.v2").json()
    assert queue["type"] == "stream" and queue["arguments"]["x-max-age"] == "400D"


def test_the_deploy_step_deletes_empty_legacy_queues_and_keeps_full_ones(platform):
    from amqp.exceptions import NotFound

    from services.analytics.stream_topology import LEGACY_QUEUES, declare_stream

    empty, full = LEGACY_QUEUES
    with Connection(platform.amqp_uri, connect_timeout=30) as conn:
        channel = conn.channel()
        for name in LEGACY_QUEUES:
            channel.queue_declare(name, durable=True)
        conn.Producer(channel).publish({}, exchange="", routing_key=full, retry=True)
    declare_stream(platform.amqp_uri)
    with Connection(platform.amqp_uri, connect_timeout=30) as conn:
        assert conn.channel().queue_declare(full, passive=True).message_count == 1
        with pytest.raises(NotFound):
            conn.channel().queue_declare(empty, passive=True)
        conn.channel().queue_delete(full)
