"""The notifications service's own configuration (shared/settings.py: one class family)."""
from datetime import datetime, timezone

from pydantic import Field

from shared.settings import Settings


class NotificationSettings(Settings):
    # The SMTP server e-mails go to (`make up` runs a local sink on 1025).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_from: str = "Plateforme d'entraide <ne-pas-repondre@pilote.example.fr>"
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_seconds: float = Field(10.0, gt=0)

    # Where members open the links of their e-mails.
    app_base_url: str = "http://127.0.0.1:8000"

    # The e-mail sender loop: poll interval (a commit wakes it at once),
    # exponential backoff between attempts, attempts before giving up.
    email_poll_seconds: float = Field(2.0, gt=0)
    email_retry_base_seconds: float = Field(30.0, gt=0)
    email_retry_max_seconds: float = Field(3600.0, gt=0)
    email_max_attempts: int = Field(8, ge=1)

    # Digests: how often the timer looks for digests due, how long a daily and
    # a weekly period last, and where periods start (a Monday, 06:00 UTC).
    digest_check_seconds: float = Field(60.0, gt=0)
    digest_daily_seconds: int = Field(86400, gt=0)
    digest_weekly_seconds: int = Field(604800, gt=0)
    digest_anchor: datetime = datetime(2024, 1, 1, 6, 0, tzinfo=timezone.utc)

