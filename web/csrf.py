"""CSRF: every form carries the session's secret (a synchronizer token);
htmx sends it as the X-CSRF-Token header. A POST without the right one
changes nothing."""

from __future__ import annotations

import hmac

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"


def is_valid(expected: str | None, submitted: str | None) -> bool:
    if not expected or not submitted:
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode())
