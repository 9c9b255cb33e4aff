"""Sending e-mails: the SMTP transport, and the sender loop that drains the
`emails` table in every service process (a green thread, like the outbox relay).

Several replicas share the table: each claims a due e-mail with
`FOR UPDATE SKIP LOCKED`, so one message is sent by one replica.
"""
import logging
import smtplib
import ssl
from datetime import datetime, timezone
from email.message import EmailMessage

from sqlalchemy.orm import sessionmaker

from services.notifications import handlers
from services.notifications.repository import NotificationsUnitOfWork
from services.notifications.settings import NotificationSettings
from shared.background import WakeableLoop
from shared.db.engine import make_engine
from shared.settings import get_settings

log = logging.getLogger(__name__)


def _is_permanent(code: int) -> bool:
    return 500 <= code < 600


class SmtpTransport:
    """One SMTP session per message (STARTTLS and login when configured)."""

    def __init__(self, config: NotificationSettings):
        self.config = config

    def send(self, message: EmailMessage) -> None:
        c = self.config
        try:
            if c.smtp_ssl:
                smtp = smtplib.SMTP_SSL(c.smtp_host, c.smtp_port, timeout=c.smtp_timeout_seconds,
                                        context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(c.smtp_host, c.smtp_port, timeout=c.smtp_timeout_seconds)
            with smtp:
                if c.smtp_starttls and not c.smtp_ssl:
                    smtp.starttls(context=ssl.create_default_context())
                if c.smtp_username:
                    smtp.login(c.smtp_username, c.smtp_password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            detail = "; ".join(f"{rcpt}: {code} {msg.decode(errors='replace')}"
                               for rcpt, (code, msg) in error.recipients.items())
            raise handlers.DeliveryFailed(detail, permanent=all(_is_permanent(c) for c in codes)) from error
        except smtplib.SMTPResponseException as error:
            detail = f"{error.smtp_code} {error.smtp_error.decode(errors='replace') if isinstance(error.smtp_error, bytes) else error.smtp_error}"
            raise handlers.DeliveryFailed(detail, permanent=_is_permanent(error.smtp_code)) from error
        except (smtplib.SMTPException, OSError) as error:
            raise handlers.DeliveryFailed(f"{type(error).__name__}: {error}") from error


class MailSender(WakeableLoop):
    """`self.mail_sender.wake()` after queueing e-mails; it also polls every
    EMAIL_POLL_SECONDS for retries that fall due."""

    loop_name = "mail sender"

    def __init__(self, transport_factory=SmtpTransport):
        self.transport_factory = transport_factory

    def setup(self):
        super().setup()
        self.config = get_settings(NotificationSettings)
        self.engine = make_engine(self.config.database_url("notifications"), pool_size=2)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        self.transport = self.transport_factory(self.config)

    def poll_seconds(self) -> float:
        return self.config.email_poll_seconds

    def _send_one(self) -> bool:
        with NotificationsUnitOfWork(self.session_factory) as uow:
            outcome = handlers.send_next_email(uow, self.transport, datetime.now(timezone.utc), self.config)
        if outcome in ("retry", "failed"):
            log.warning("e-mail not sent", extra={"outcome": outcome})
        return outcome is not None

    def run_once(self) -> None:
        while self._running and self._send_one():
            pass

    def close(self) -> None:
        self.engine.dispose()

    def get_dependency(self, worker_ctx):
        return self
