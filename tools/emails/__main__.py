"""Command line of the e-mail tool; see tools/emails/__init__.py."""
import argparse
import json
import sys
from datetime import datetime, timezone

import tools.emails
from services.notifications import handlers
from services.notifications.repository import NotificationsUnitOfWork
from shared.db.engine import unit_of_work
from shared.observability.logging import configure as configure_logging
from shared.settings import get_settings


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tools.emails", description=tools.emails.__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="the failed e-mails, oldest first")
    listing.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    resend = sub.add_parser("resend", help="queue failed e-mails again, due now")
    resend.add_argument("ids", nargs="*", metavar="ID")
    resend.add_argument("--all", action="store_true", help="every failed e-mail")
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    settings = get_settings()
    configure_logging(settings.log_level)
    if args.command == "resend" and not args.ids and not args.all:
        print("resend: give e-mail ids, or --all", file=sys.stderr)
        return 2
    with unit_of_work(settings, "notifications", NotificationsUnitOfWork) as uow:
        if args.command == "list":
            failed = handlers.failed_emails(uow)
            for email in failed:
                if args.json:
                    print(json.dumps(email, ensure_ascii=False))
                else:
                    print(f"{email['id']:36}  {email['kind']:12}  {email['attempts']:>3}  {email['created_at']:32}  "
                          f"{(email['last_error'] or '-')[:120]}")
            if not args.json:
                print(f"{len(failed)} failed e-mail(s).")
            return 0
        count = handlers.resend_failed_emails(uow, None if args.all else args.ids, datetime.now(timezone.utc))
    print(f"{count} e-mail(s) queued again.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
