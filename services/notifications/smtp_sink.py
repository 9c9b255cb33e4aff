"""A local SMTP server that keeps every message it receives as an .eml file.

`make up` runs it (supervisord program `smtp-sink`) so that e-mails of a
development platform land in `var/mail/` instead of real inboxes:

    python -m services.notifications.smtp_sink --port 1025 --directory var/mail

It is aiosmtpd's real SMTP server; only the handler is ours. Tests start it
in a thread with `SmtpSink(directory, port=free_port())` (stack/testing.py).
"""
import argparse
import logging
import os
import signal
import threading
import uuid
from datetime import datetime, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

from shared.settings import REPO_ROOT

log = logging.getLogger("smtp_sink")


class MaildirLikeHandler:
    """aiosmtpd handler: one .eml file per message (written to a temporary
    name, then renamed, so a reader never sees half a message)."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        name = f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        temporary = self.directory / f".{name}.tmp"
        content = envelope.original_content or envelope.content
        headers = (f"X-Sink-Mail-From: {envelope.mail_from}\r\n"
                   f"X-Sink-Rcpt-To: {', '.join(envelope.rcpt_tos)}\r\n").encode()
        temporary.write_bytes(headers + content)
        os.replace(temporary, self.directory / name)
        log.info("received %s for %s", name, ", ".join(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


class SmtpSink:
    """The sink in a background thread (for tests and the command line)."""

    def __init__(self, directory: Path, host: str = "127.0.0.1", port: int = 1025, handler=None):
        self.directory = Path(directory)
        self.host = host
        self.port = port
        self.handler = handler or MaildirLikeHandler(self.directory)
        self.controller = Controller(self.handler, hostname=host, port=self.port)

    def start(self) -> "SmtpSink":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def messages(self) -> list[EmailMessage]:
        """Every message received so far, oldest first."""
        return [message_from_bytes(path.read_bytes(), policy=policy.default)
                for path in sorted(self.directory.glob("*.eml"))]


def main() -> None:
    parser = argparse.ArgumentParser(description="Local SMTP sink: messages become .eml files.")
    parser.add_argument("--host", default=os.environ.get("SMTP_SINK_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("SMTP_SINK_PORT", "1025")))
    parser.add_argument("--directory", default=os.environ.get("SMTP_SINK_DIR", str(REPO_ROOT / "var/mail")))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    sink = SmtpSink(Path(args.directory), args.host, args.port).start()
    log.info("SMTP sink on %s:%d, writing to %s", args.host, sink.port, args.directory)
    stopped = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopped.set())
    stopped.wait()
    sink.stop()


if __name__ == "__main__":
    main()
