"""notifications: what members are told, in-app, by e-mail and in digests.

- Events of posts, moderation, events and mentoring become notifications
  (texts in `messages.py`), once per (event, recipient): the inbox marks the
  event handled and `notifications` has a unique key (source_event_id, user_id).
- Each member's preferences choose the channels per type (`domain.py`:
  defaults, reactions never by e-mail) and the digest (off, daily, weekly).
- An in-app notification records `notifications.notification_created`;
  every gateway replica pushes it to the member's live streams (SSE).
- E-mails are rows of `emails`, committed with what caused them; the sender
  loop (shared/mail.py, wired in `mailer.py`) sends them over SMTP with retries and backoff, marks
  them sent or failed, and counts `notifications_emails_{sent,failed}_total`.
  A Message-ID derived from the notification makes a resend recognisable.
- Digests: a timer finds members whose digest of the current period has not
  run; a `digest_runs` row (unique per member and period) makes it once
  whatever the replicas; an e-mail only when something is unread.
- `smtp_sink.py` is the local SMTP server `make up` runs: mail lands in var/mail/.
"""
