"""tools.datastream against a real RabbitMQ stream: tail, replay from an
offset or a point in time, and exports that resume without gaps or doubles."""
import json
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from kombu import Connection

from services.analytics.settings import STREAM_EXCHANGE
from shared.settings import REPO_ROOT
from stack.testing import service_env, wait_for
from tools.datastream import reader
from tools.datastream.export import ExportError, export

pytestmark = pytest.mark.integration


def message(occurred_at: datetime, batch: str) -> dict:
    return {
        "stream_version": 1, "event_id": str(uuid.uuid4()), "event_type": "posts.post_pinned", "version": 1,
        "occurred_at": occurred_at.isoformat().replace("+00:00", "Z"),
        "recorded_at": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
        "producer": "posts", "agency_code": "HDF-LILLE", "region": "Hauts-de-France", "actor": None,
        "payload": {"post_id": batch, "agency_code": "HDF-LILLE", "pinned": True, "pinned_by": "p_" + "0" * 32,
                    "at": occurred_at.isoformat()},
    }


def append(settings, messages: list[dict]) -> None:
    """What analytics' outbox relay does: publish to the stream exchange with confirms."""
    with Connection(settings.amqp_uri, transport_options={"confirm_publish": True}, connect_timeout=30) as conn:
        producer = conn.Producer(serializer="json")
        for m in messages:
            producer.publish(m, exchange=STREAM_EXCHANGE, routing_key=m["event_type"], declare=[], delivery_mode=2,
                             message_id=m["event_id"], retry=True)


def batch_of(n: int, first: datetime, step: timedelta, tag: str) -> list[dict]:
    return [message(first + i * step, tag) for i in range(n)]


def ids(messages) -> list[str]:
    return [m["event_id"] for m in messages]


@pytest.fixture(scope="module")
def year_2001(platform):
    """1,200 messages, one every 6 hours from 2001-01-01: a range of their own in the stream."""
    messages = batch_of(1200, datetime(2001, 1, 1, tzinfo=timezone.utc), timedelta(hours=6), "y2001")
    append(platform, messages)
    return messages


def test_replay_from_the_start_gives_every_message_in_order_with_offsets(platform, year_2001):
    read = list(reader.read(platform.amqp_uri, "first", idle_seconds=1.0))
    mine = [m for m in read if m.body["payload"].get("post_id") == "y2001"]
    assert ids(m.body for m in mine) == ids(year_2001)
    offsets = [m.offset for m in read]
    assert offsets == sorted(offsets) and len(set(offsets)) == len(offsets)


def test_replay_from_an_offset(platform, year_2001):
    start = next(m.offset for m in reader.read(platform.amqp_uri, "first", idle_seconds=1.0)
                 if m.body["event_id"] == year_2001[1000]["event_id"])
    read = list(reader.read(platform.amqp_uri, start, idle_seconds=1.0))
    assert read[0].offset == start
    assert ids(m.body for m in read if m.body["payload"].get("post_id") == "y2001") == ids(year_2001[1000:])


def test_replay_from_a_point_in_time(platform, year_2001):
    before = batch_of(5, datetime(2002, 1, 1, tzinfo=timezone.utc), timedelta(minutes=1), "before")
    append(platform, before)
    # The broker places a point in time to the second: start from the next whole second.
    since = (datetime.now(timezone.utc) + timedelta(seconds=1)).replace(microsecond=0)
    wait_for(lambda: datetime.now(timezone.utc) >= since + timedelta(milliseconds=100), timeout=5, message="the clock")
    after = batch_of(5, datetime(2002, 1, 2, tzinfo=timezone.utc), timedelta(minutes=1), "after")
    append(platform, after)
    read = [m.body for m in reader.read(platform.amqp_uri, since, idle_seconds=1.0)]
    assert ids(m for m in read if m["payload"].get("post_id") in {"before", "after"}) == ids(after)


def read_jsonl(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_export_resumes_from_its_state_without_gaps_or_doubles(platform, year_2001, tmp_path):
    out, state = tmp_path / "march.jsonl", tmp_path / "march.state.json"
    start, end = datetime(2001, 3, 1, tzinfo=timezone.utc), datetime(2001, 6, 1, tzinfo=timezone.utc)
    expected = [m for m in year_2001 if start.isoformat()[:10] <= m["occurred_at"][:10] < end.isoformat()[:10]]
    assert len(expected) == 92 * 4

    # Other tests' events may precede this block in the stream: interrupt 300 messages into it.
    before_block = next(i for i, m in enumerate(reader.read(platform.amqp_uri, "first", idle_seconds=1.0))
                        if m.body["event_id"] == year_2001[0]["event_id"])
    first = export(platform.amqp_uri, out, state, "jsonl", start, end, idle_seconds=1.0, skew=timedelta(0),
                   stop_after=before_block + 300)   # interrupted
    assert first.next_offset is not None and 0 < first.exported < len(expected)
    with open(out, "a") as f:
        f.write('{"event_id": "half a line written when the process died')  # a crash after the last checkpoint
    seen = []
    done = export(platform.amqp_uri, out, state, "jsonl", start, end, idle_seconds=1.0, skew=timedelta(0),
                  progress=seen.append)
    assert ids(read_jsonl(out)) == ids(expected)
    assert done.exported == len(expected) and sum(seen) > 0

    again = export(platform.amqp_uri, out, state, "jsonl", start, end, idle_seconds=1.0, skew=timedelta(0))
    assert ids(read_jsonl(out)) == ids(expected) and again.exported == len(expected)  # nothing new, nothing twice


def test_export_refuses_a_state_file_of_another_export(platform, year_2001, tmp_path):
    state = tmp_path / "state.json"
    export(platform.amqp_uri, tmp_path / "a.jsonl", state, "jsonl", datetime(2001, 1, 1, tzinfo=timezone.utc),
           datetime(2001, 1, 2, tzinfo=timezone.utc), idle_seconds=1.0)
    with pytest.raises(ExportError):
        export(platform.amqp_uri, tmp_path / "b.jsonl", state, "jsonl", idle_seconds=1.0)


def test_export_to_parquet_resumes_too(platform, year_2001, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    out, state = tmp_path / "parquet", tmp_path / "parquet.state.json"
    start, end = datetime(2001, 1, 1, tzinfo=timezone.utc), datetime(2002, 1, 1, tzinfo=timezone.utc)
    export(platform.amqp_uri, out, state, "parquet", start, end, idle_seconds=1.0, skew=timedelta(0), stop_after=700)
    (out / "part-999999.parquet").write_bytes(b"left by a crash")
    export(platform.amqp_uri, out, state, "parquet", start, end, idle_seconds=1.0, skew=timedelta(0))
    table = pq.read_table(out)
    assert table.column("event_id").to_pylist() == ids(year_2001)
    assert table.column("offset").to_pylist() == sorted(table.column("offset").to_pylist())
    assert json.loads(table.column("payload")[0].as_py())["post_id"] == "y2001"


def test_the_command_line_replays_and_exports(platform, year_2001, tmp_path):
    env = service_env(platform)
    replay = subprocess.run(
        [sys.executable, "-m", "tools.datastream", "replay", "--from-start", "--type", "posts.", "--idle-seconds", "1"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert replay.returncode == 0, replay.stderr
    lines = [json.loads(line) for line in replay.stdout.splitlines()]
    assert ids(m for m in lines if m["payload"].get("post_id") == "y2001") == ids(year_2001)
    assert all("offset" in m for m in lines)

    out = tmp_path / "jan.jsonl"
    export_run = subprocess.run(
        [sys.executable, "-m", "tools.datastream", "export", "--from", "2001-01-01", "--to", "2001-01-08",
         "--out", str(out), "--idle-seconds", "1", "--skew-seconds", "0"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert export_run.returncode == 0, export_run.stderr
    assert len(read_jsonl(out)) == 7 * 4 and (tmp_path / "jan.jsonl.state.json").exists()


def test_tail_prints_new_messages_as_they_come(platform, year_2001):
    proc = subprocess.Popen([sys.executable, "-m", "tools.datastream", "tail"], cwd=REPO_ROOT,
                            env=service_env(platform), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr.readline().startswith("tailing analytics.stream.v2")  # attached to the stream
        fresh = batch_of(3, datetime(2003, 1, 1, tzinfo=timezone.utc), timedelta(minutes=1), "tail")
        append(platform, fresh)
        got = [json.loads(proc.stdout.readline()) for _ in range(3)]
        assert ids(got) == ids(fresh)   # only what came after it started
    finally:
        proc.terminate()
        proc.wait(10)
