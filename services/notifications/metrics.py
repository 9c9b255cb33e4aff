"""Prometheus metrics of the notifications service (served with the others)."""
from prometheus_client import Counter

EMAILS_SENT = Counter("notifications_emails_sent", "E-mails the SMTP server accepted.", ["kind"])
EMAILS_FAILED = Counter(
    "notifications_emails_failed", "E-mails given up on (refused for good, or too many attempts).", ["kind"]
)
EMAILS_RETRIED = Counter("notifications_emails_retried", "Failed e-mail attempts that will be retried.", ["kind"])
NOTIFICATIONS_MADE = Counter("notifications_made", "Notifications made, by type.", ["type"])
