"""`python -m tools.datastream tail|replay|export`: the command line."""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from services.analytics.settings import AnalyticsSettings
from shared.settings import get_settings
from tools.datastream import reader
from tools.datastream.export import ExportError, export


def point_in_time(text: str) -> datetime:
    """An RFC 3339 time (`2026-03-01T08:00:00Z`) or a day (`2026-03-01`, midnight UTC)."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time.min, tzinfo=timezone.utc)
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date or an RFC 3339 time: {text!r}") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give the time zone (for example Z for UTC): {text!r}")
    return value


def _print(messages, types: list[str] | None, out) -> int:
    shown = 0
    for message in messages:
        if types and not any(message.body.get("event_type", "").startswith(t) for t in types):
            continue
        out.write(json.dumps({"offset": message.offset, **message.body}, ensure_ascii=False) + "\n")
        out.flush()
        shown += 1
    return shown


def tail(args) -> int:
    def ready():
        print(f"tailing {args.queue} from the next message (Ctrl-C to stop)", file=sys.stderr, flush=True)

    _print(reader.read(args.amqp_uri, "next", args.queue, idle_seconds=None, on_ready=ready), args.type, sys.stdout)
    return 0


def replay(args) -> int:
    if args.offset is not None:
        start = args.offset
    elif args.since is not None:
        start = args.since
    else:
        start = "first"
    idle = None if args.follow else args.idle_seconds
    out = open(args.out, "w") if args.out else sys.stdout
    try:
        shown = _print(reader.read(args.amqp_uri, start, args.queue, idle_seconds=idle), args.type, out)
    finally:
        if args.out:
            out.close()
    print(f"{shown} messages", file=sys.stderr)
    return 0


def run_export(args) -> int:
    from tqdm import tqdm

    state_path = Path(args.state or f"{args.out}.state.json")
    try:
        total = reader.count(args.amqp_uri, args.queue)
    except Exception:
        total = None
    with tqdm(total=total, unit="msg", desc="export", disable=args.quiet, file=sys.stderr) as bar:
        try:
            state = export(
                args.amqp_uri, Path(args.out), state_path, args.format, args.from_, args.to, args.queue,
                idle_seconds=args.idle_seconds, skew=timedelta(seconds=args.skew_seconds), progress=bar.update,
            )
        except ExportError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    print(f"{state.exported} messages exported to {args.out}; next offset {state.next_offset} "
          f"(saved in {state_path})", file=sys.stderr)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tools.datastream", description=__doc__)
    settings = get_settings(AnalyticsSettings)  # AMQP_URI, ANALYTICS_STREAM_QUEUE
    p.add_argument("--amqp-uri", default=settings.amqp_uri)
    p.add_argument("--queue", default=settings.analytics_stream_queue)
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("tail", help="print new messages as they come (JSON Lines), until Ctrl-C")
    t.add_argument("--type", action="append", help="only event types starting with this (repeatable)")
    t.set_defaults(run=tail)

    r = sub.add_parser("replay", help="print messages from the start, an offset or a point in time")
    where = r.add_mutually_exclusive_group()
    where.add_argument("--from-start", action="store_true", help="from the first message kept (default)")
    where.add_argument("--since", type=point_in_time, help="from this time on (to the second)")
    where.add_argument("--offset", type=int, help="from this stream offset on")
    r.add_argument("--follow", action="store_true", help="keep going after the end, like tail")
    r.add_argument("--type", action="append", help="only event types starting with this (repeatable)")
    r.add_argument("--out", help="write to this file instead of stdout")
    r.add_argument("--idle-seconds", type=float, default=3.0, help="the end is when nothing came for this long")
    r.set_defaults(run=replay)

    e = sub.add_parser("export", help="export a time range (occurred_at) to JSON Lines or Parquet, resumably")
    e.add_argument("--from", dest="from_", type=point_in_time, help="first time included (default: the start)")
    e.add_argument("--to", type=point_in_time, help="first time excluded (default: no end)")
    e.add_argument("--format", choices=["jsonl", "parquet"], default="jsonl")
    e.add_argument("--out", required=True, help="a .jsonl file, or a directory of Parquet part files")
    e.add_argument("--state", help="the state file to resume from (default: <out>.state.json)")
    e.add_argument("--idle-seconds", type=float, default=3.0, help="the end is when nothing came for this long")
    e.add_argument("--skew-seconds", type=float, default=300, help="read this much before --from")
    e.add_argument("--quiet", action="store_true", help="no progress bar")
    e.set_defaults(run=run_export)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        return 130
