"""The notifications service's own configuration (shared/settings.py: one class family)."""
from datetime import datetime, timezone

from pydantic import Field

from shared.mail import MailSettings


class NotificationSettings(MailSettings):
    # SMTP and the e-mail sender loop: shared/mail.py's MailSettings.

    # Where members open the links of their e-mails.
    app_base_url: str = "http://127.0.0.1:8000"

    # Digests: how often the timer looks for digests due, how long a daily and
    # a weekly period last, and where periods start (a Monday, 06:00 UTC).
    digest_check_seconds: float = Field(60.0, gt=0)
    digest_daily_seconds: int = Field(86400, gt=0)
    digest_weekly_seconds: int = Field(604800, gt=0)
    digest_anchor: datetime = datetime(2024, 1, 1, 6, 0, tzinfo=timezone.utc)

