"""Export the stream messages of a time range to JSON Lines or Parquet, resumable.

The range is on `occurred_at` (when the event happened), [from, to). Reading
starts `skew` before `from` (events are appended to the stream after they
happen), or at the saved offset when resuming, and goes to the end of the
stream. JSON Lines: one message a line, in stream order. Parquet (needs
pyarrow): a directory of part files, one per checkpoint, each row a message
with its payload as a JSON string.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tools.datastream import reader
from tools.datastream.state import ExportState, load, save

CHECKPOINT_EVERY = 500
PARQUET_COLUMNS = (
    "offset", "event_id", "event_type", "version", "stream_version", "occurred_at", "recorded_at",
    "producer", "agency_code", "region", "actor", "payload",
)


class ExportError(Exception):
    pass


def in_range(body: dict[str, Any], start: datetime | None, end: datetime | None) -> bool:
    occurred = datetime.fromisoformat(body["occurred_at"].replace("Z", "+00:00"))
    return (start is None or occurred >= start) and (end is None or occurred < end)


class JsonLinesSink:
    def __init__(self, state: ExportState):
        self.path = Path(state.output)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = open(self.path, "ab")
        self.file.truncate(state.written_bytes)  # cut what a crash left after the last checkpoint
        self.file.seek(state.written_bytes)

    def write(self, offset: int, body: dict) -> None:
        self.file.write(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode() + b"\n")

    def checkpoint(self, state: ExportState) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        state.written_bytes = self.file.tell()

    def close(self) -> None:
        self.file.close()


class ParquetSink:
    def __init__(self, state: ExportState):
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ExportError("Parquet needs pyarrow (pip install pyarrow); JSON Lines works without it") from None
        self.directory = Path(state.output)
        self.directory.mkdir(parents=True, exist_ok=True)
        for leftover in self.directory.glob("part-*.parquet"):
            if leftover.name not in state.parts:
                leftover.unlink()  # written after the last checkpoint: read again
        self.rows: list[dict] = []

    def write(self, offset: int, body: dict) -> None:
        row = {name: body.get(name) for name in PARQUET_COLUMNS}
        row["offset"] = offset
        row["payload"] = json.dumps(body.get("payload"), ensure_ascii=False, sort_keys=True)
        for name in ("occurred_at", "recorded_at"):
            row[name] = datetime.fromisoformat(row[name].replace("Z", "+00:00")) if row[name] else None
        self.rows.append(row)

    def checkpoint(self, state: ExportState) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not self.rows:
            return
        name = f"part-{len(state.parts):06d}.parquet"
        schema = pa.schema([
            ("offset", pa.int64()), ("event_id", pa.string()), ("event_type", pa.string()), ("version", pa.int32()),
            ("stream_version", pa.int32()), ("occurred_at", pa.timestamp("us", tz="UTC")),
            ("recorded_at", pa.timestamp("us", tz="UTC")), ("producer", pa.string()), ("agency_code", pa.string()),
            ("region", pa.string()), ("actor", pa.string()), ("payload", pa.string()),
        ])
        draft = self.directory / (name + ".tmp")
        pq.write_table(pa.Table.from_pylist(self.rows, schema=schema), draft)
        with open(draft, "rb") as f:
            os.fsync(f.fileno())
        os.replace(draft, self.directory / name)
        state.parts.append(name)
        self.rows = []

    def close(self) -> None:
        pass


def export(
    amqp_uri: str,
    output: Path,
    state_path: Path,
    fmt: str = "jsonl",
    start: datetime | None = None,
    end: datetime | None = None,
    queue: str = reader.DEFAULT_QUEUE,
    idle_seconds: float = 3.0,
    skew: timedelta = timedelta(minutes=5),
    progress: Callable[[int], None] | None = None,
    stop_after: int | None = None,
) -> ExportState:
    """Export [start, end) to `output`, resuming from `state_path` when it exists.

    `progress(n)` is told how many messages were read since its last call;
    `stop_after` stops after that many messages read (for tests and batches)."""
    wanted = ExportState(fmt, str(output), start.isoformat() if start else None, end.isoformat() if end else None)
    state = load(state_path)
    if state is None:
        state = wanted
    elif not state.same_export(wanted):
        raise ExportError(f"{state_path} belongs to another export ({state.format} {state.output} "
                          f"{state.range_from}..{state.range_to}); use another state file")
    if state.next_offset is not None:
        begin: reader.Start = state.next_offset
    else:
        begin = start - skew if start else "first"
    sink = ParquetSink(state) if fmt == "parquet" else JsonLinesSink(state)
    read_since_checkpoint = 0
    total_read = 0
    try:
        for message in reader.read(amqp_uri, begin, queue, idle_seconds=idle_seconds):
            if state.next_offset is not None and message.offset < state.next_offset:
                continue  # the broker starts at a chunk boundary: skip what was done
            if in_range(message.body, start, end):
                sink.write(message.offset, message.body)
                state.exported += 1
            state.next_offset = message.offset + 1
            read_since_checkpoint += 1
            total_read += 1
            if progress:
                progress(1)
            if read_since_checkpoint >= CHECKPOINT_EVERY:
                sink.checkpoint(state)
                save(state_path, state)
                read_since_checkpoint = 0
            if stop_after is not None and total_read >= stop_after:
                break
        sink.checkpoint(state)
        save(state_path, state)
    finally:
        sink.close()
    return state
