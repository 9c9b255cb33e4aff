"""E-mail over SMTP, one way for every service that sends it (notifications,
identity): where the server is (`MailSettings`), the message
(`build_message`), the transport (`SmtpTransport`, which tells a permanent
refusal from a temporary one) and the sender loop (`MailSender`), a green
thread draining the service's own table of e-mails to send.
"""
import logging
import smtplib
import ssl
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from pydantic import Field
from sqlalchemy.orm import sessionmaker

from shared.background import WakeableLoop
from shared.db.engine import make_engine
from shared.settings import Settings, get_settings

log = logging.getLogger(__name__)


class MailSettings(Settings):
    # The SMTP server e-mails go to (`make up` runs a local sink on 1025).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_from: str = "Plateforme d'entraide <ne-pas-repondre@pilote.example.fr>"
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_seconds: float = Field(10.0, gt=0)

    # The e-mail sender loop: poll interval (a commit wakes it at once),
    # exponential backoff between attempts; a temporary failure (a 4xx, the
    # server unreachable) is retried for EMAIL_RETRY_HOURS after the e-mail
    # was queued, as mail servers do (RFC 5321 suggests 4-5 days); a refusal
    # (5xx) fails at once. EMAIL_MAX_ATTEMPTS caps the attempts too, when set.
    email_poll_seconds: float = Field(2.0, gt=0)
    email_retry_base_seconds: float = Field(30.0, gt=0)
    email_retry_max_seconds: float = Field(3600.0, gt=0)
    email_retry_hours: float = Field(72.0, gt=0)
    email_max_attempts: int | None = Field(None, ge=1)


class DeliveryFailed(Exception):
    """The SMTP server did not take the message; `permanent` when trying again cannot help."""

    def __init__(self, detail: str, permanent: bool = False):
        super().__init__(detail)
        self.detail = detail
        self.permanent = permanent


def gives_up(permanent: bool, attempts: int, queued_at: datetime, now: datetime, config: MailSettings) -> bool:
    """After a failed attempt: stop (the e-mail is `failed`) or try again later."""
    if permanent:
        return True
    if config.email_max_attempts is not None and attempts >= config.email_max_attempts:
        return True
    return now >= queued_at + timedelta(hours=config.email_retry_hours)


def mail_domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "localhost"


def build_message(sender: str, to_address: str, subject: str, text: str, html_body: str, message_id: str,
                  date: datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to_address
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message["Date"] = format_datetime(date)
    message["Auto-Submitted"] = "auto-generated"
    message["Content-Language"] = "fr"
    message.set_content(text)
    message.add_alternative(html_body, subtype="html")
    return message


def _is_permanent(code: int) -> bool:
    return 500 <= code < 600


class SmtpTransport:
    """One SMTP session per message (STARTTLS and login when configured)."""

    def __init__(self, config: MailSettings):
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
            raise DeliveryFailed(detail, permanent=all(_is_permanent(c) for c in codes)) from error
        except smtplib.SMTPResponseException as error:
            detail = f"{error.smtp_code} {error.smtp_error.decode(errors='replace') if isinstance(error.smtp_error, bytes) else error.smtp_error}"
            raise DeliveryFailed(detail, permanent=_is_permanent(error.smtp_code)) from error
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryFailed(f"{type(error).__name__}: {error}") from error


class MailSender(WakeableLoop):
    """`self.mail_sender.wake()` after queueing e-mails; it also polls every
    EMAIL_POLL_SECONDS for retries that fall due.

    `send_next(uow, transport, now, config)` sends the next due e-mail of the
    service's table and answers what happened (`sent`, `retry`, `failed`,
    ...), or None when none is due. Replicas share the table: it claims a row
    with `FOR UPDATE SKIP LOCKED`, so one message is sent by one replica.
    """

    loop_name = "mail sender"

    def __init__(self, service: str, unit_of_work: type, settings_class: type[MailSettings],
                 send_next: Callable, transport_factory=SmtpTransport):
        self.service = service
        self.unit_of_work = unit_of_work
        self.settings_class = settings_class
        self.send_next = send_next
        self.transport_factory = transport_factory

    def setup(self):
        super().setup()
        self.config = get_settings(self.settings_class)
        self.engine = make_engine(self.config.service_database_url(self.service), pool_size=2)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        self.transport = self.transport_factory(self.config)

    def poll_seconds(self) -> float:
        return self.config.email_poll_seconds

    def _send_one(self) -> bool:
        with self.unit_of_work(self.session_factory) as uow:
            outcome = self.send_next(uow, self.transport, datetime.now(timezone.utc), self.config)
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
