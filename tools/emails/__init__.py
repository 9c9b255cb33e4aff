"""The notification e-mails that gave up, and sending them again.

    python -m tools.emails list [--json]      the failed e-mails, oldest first (no addresses)
    python -m tools.emails resend ID... | --all

A temporary SMTP failure is retried for EMAIL_RETRY_HOURS (72 by default);
an e-mail that still could not go, or that the server refused (5xx), is
`failed` in the notifications service's `emails` table (never in the dead
letters). Once the cause is fixed (runbook EmailsFailing), `resend` queues
them again, due now, with a new retry window: the running notifications
service sends them, with their first Message-ID. Identity's e-mails (links,
password notices) are not resent: their links expire and their bodies are
emptied once done with; the member asks again.
"""
