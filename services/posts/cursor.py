"""Opaque keyset cursors: the sort key of the last item of a page.

A cursor is base64url JSON naming what it pages (`l` list, `f` feed, `s`
search, `c` comments) and the key values; a tampered, foreign or malformed
cursor is a 422 on `cursor`, never a 500."""
import base64
import binascii
import json
import uuid
from datetime import datetime

from shared.errors import ValidationFailed

BAD_CURSOR = "Curseur invalide : reprenez la liste depuis le début."


def encode(kind: str, *values) -> str:
    raw = json.dumps([kind, *[v.isoformat() if isinstance(v, datetime) else v for v in values]], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _invalid() -> ValidationFailed:
    return ValidationFailed.single(["query", "cursor"], BAD_CURSOR)


def decode(cursor: str | None, kind: str, shape: tuple[type, ...]) -> tuple | None:
    """The key values of `cursor`, checked against `shape` (bool, float, datetime, uuid.UUID)."""
    if cursor is None:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _invalid() from None
    if not isinstance(data, list) or len(data) != len(shape) + 1 or data[0] != kind:
        raise _invalid()
    values = []
    for value, expected in zip(data[1:], shape):
        try:
            if expected is datetime:
                parsed = datetime.fromisoformat(value)
                if parsed.tzinfo is None:
                    raise ValueError
            elif expected is uuid.UUID:
                parsed = uuid.UUID(value)
            elif expected is bool:
                if not isinstance(value, bool):
                    raise ValueError
                parsed = value
            elif expected is float:
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise ValueError
                parsed = float(value)
            else:
                raise ValueError
        except (TypeError, ValueError, AttributeError):
            raise _invalid() from None
        values.append(parsed)
    return tuple(values)
