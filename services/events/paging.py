"""Opaque list cursors: keyset pagination encoded in URL-safe base64."""
import base64
import json

from shared.errors import ValidationFailed

BAD_CURSOR = "Curseur de pagination invalide."


def encode(*values) -> str:
    raw = json.dumps(list(values), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str | None, arity: int) -> list | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError):
        raise ValidationFailed.single(["query", "cursor"], BAD_CURSOR) from None
    if not isinstance(values, list) or len(values) != arity:
        raise ValidationFailed.single(["query", "cursor"], BAD_CURSOR)
    return values
