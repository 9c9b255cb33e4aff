"""Prometheus metrics of the identity service (served with the others)."""
from prometheus_client import Counter

# The e-mails identity sends itself (password changed, reset and sign-in links), by kind.
EMAILS_SENT = Counter("identity_emails_sent", "E-mails the SMTP server accepted.", ["kind"])
EMAILS_FAILED = Counter(
    "identity_emails_failed", "E-mails given up on (refused for good, or too many attempts).", ["kind"]
)
EMAILS_RETRIED = Counter("identity_emails_retried", "Failed e-mail attempts that will be retried.", ["kind"])
EMAILS_EXPIRED = Counter(
    "identity_emails_expired", "Link e-mails dropped unsent because their link had expired.", ["kind"]
)
