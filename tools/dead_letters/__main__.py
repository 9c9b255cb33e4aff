"""Command line of the dead-letter tool; see tools/dead_letters/__init__.py."""
import argparse
import json
import sys

from shared.observability.logging import configure as configure_logging
from shared.settings import get_settings
import tools.dead_letters
from shared.messaging.dead_letter_erasure import remove_parked_mentioning
from tools.dead_letters import operations

USAGE = tools.dead_letters.__doc__


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tools.dead_letters", description=USAGE,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="one line per parked event, oldest first")
    listing.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    listing.add_argument("--limit", type=int, default=None)
    show = sub.add_parser("show", help="headers (error, traceback) and body of one parked event")
    show.add_argument("id")
    for name, text in (("requeue", "send back to the queue it came from"), ("discard", "drop for good (logged)")):
        action = sub.add_parser(name, help=text)
        action.add_argument("ids", nargs="*", metavar="ID")
        action.add_argument("--all", action="store_true", help="every parked event (with --queue: of that queue)")
        action.add_argument("--queue", help="only events parked from this queue")
    erase = sub.add_parser("erase-member", help="drop every parked event that mentions a member (GDPR erasure)")
    erase.add_argument("member_id")
    erase.add_argument("--email", help="also the events that carry this address")
    return p


def print_table(parked) -> None:
    if not parked:
        print("The dead-letter queue is empty.")
        return
    print(f"{'ID':36}  {'EVENT TYPE':28}  {'ATTEMPTS':8}  {'DEAD-LETTERED AT':32}  QUEUE / ERROR")
    for p in parked:
        print(f"{p.id:36}  {p.event_type or '-':28}  {p.attempts if p.attempts is not None else '-':<8}  "
              f"{p.dead_lettered_at or '-':32}  {p.original_queue or '-'}")
        print(f"{'':36}  {(p.error or '-')[:200]}")


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    settings = get_settings()
    configure_logging(settings.log_level)
    uri = settings.amqp_uri
    if args.command == "list":
        parked = operations.list_parked(uri, args.limit)
        if args.json:
            for p in parked:
                print(json.dumps(p.summary(), ensure_ascii=False))
        else:
            print_table(parked)
        return 0
    if args.command == "show":
        match = [p for p in operations.list_parked(uri) if p.id == args.id]
        if not match:
            print(f"No parked event with id {args.id}.", file=sys.stderr)
            return 1
        print(json.dumps({**match[0].summary(), "headers": match[0].headers, "body": match[0].body},
                         ensure_ascii=False, indent=2, default=str))
        return 0
    if args.command == "erase-member":
        removed = remove_parked_mentioning(uri, [args.member_id, args.email or ""])
        for event_id in removed:
            print(f"erased {event_id}")
        print(f"{len(removed)} parked event(s) mentioning the member removed.")
        return 0
    if not args.ids and not args.all:
        print(f"{args.command}: give event ids, or --all", file=sys.stderr)
        return 2
    act = operations.requeue if args.command == "requeue" else operations.discard
    try:
        done, missing = act(uri, args.ids, args.all, args.queue)
    except operations.UnknownQueue as error:
        print(f"{args.command}: {error}; nothing was changed for it", file=sys.stderr)
        return 1
    verb = "requeued" if args.command == "requeue" else "discarded"
    for p in done:
        print(f"{verb} {p.id} ({p.original_queue or '-'})")
    for m in missing:
        print(f"not found: {m}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
