"""Keyset pagination cursors, signed: one codec for every list.

A cursor holds the sort key of the last item of a page, as JSON in base64url,
and an HMAC-SHA256 tag (truncated to 128 bits) over it and the name of the
list it pages, with the platform's cursor key (CURSOR_KEY). So an altered
cursor, a made-up one, or one from another list is refused: a 422 on
`cursor` with one French message, never a 500 and never a wrong page.
"""
import base64
import binascii
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import lru_cache

from shared.errors import ValidationFailed
from shared.keys import secret_key
from shared.settings import get_settings

BAD_CURSOR = "Curseur invalide : reprenez la liste depuis le début."
TAG_BYTES = 16
# What every cursor looks like (`encode`): base64url payload, a dot, the
# base64url tag (16 bytes: 22 characters). The OpenAPI document says it, so a
# client (or a fuzzer) knows the format; only the tag says it was made here.
CURSOR_PATTERN = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$"


@lru_cache
def _key() -> bytes:
    settings = get_settings()
    return secret_key(settings.cursor_key, settings.cursor_key_path, "CURSOR_KEY")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _tag(list_name: str, payload: str, key: bytes) -> bytes:
    return hmac.new(key, f"{list_name}\n{payload}".encode(), hashlib.sha256).digest()[:TAG_BYTES]


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def encode(list_name: str, *values, key: bytes | None = None) -> str:
    """The cursor after an item whose sort key is `values`, for `list_name`."""
    payload = _b64(json.dumps([_plain(v) for v in values], separators=(",", ":")).encode())
    return f"{payload}.{_b64(_tag(list_name, payload, key or _key()))}"


def invalid() -> ValidationFailed:
    return ValidationFailed.single(["query", "cursor"], BAD_CURSOR)


def _typed(value, expected: type):
    if expected is datetime:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("naive datetime")
        return parsed
    if expected is uuid.UUID:
        return uuid.UUID(value)
    if expected is str:
        if not isinstance(value, str):
            raise ValueError("not a string")
        return value
    if expected is bool:
        if not isinstance(value, bool):
            raise ValueError("not a boolean")
        return value
    if expected in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (expected is int and not isinstance(value, int)):
            raise ValueError("not a number")
        return expected(value)
    raise ValueError(f"unsupported cursor type {expected!r}")


def decode(cursor: str | None, list_name: str, shape: Sequence[type], key: bytes | None = None) -> tuple | None:
    """The sort key held by `cursor` (None for the first page), typed per
    `shape` (datetime, uuid.UUID, str, bool, int, float). Raises the 422 when the
    cursor was not made by `encode` for this list with this key."""
    if cursor is None:
        return None
    payload, _, tag = cursor.partition(".")
    try:
        signed = hmac.compare_digest(_unb64(tag), _tag(list_name, payload, key or _key()))
        values = json.loads(_unb64(payload)) if signed else None
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid() from None
    if not isinstance(values, list) or len(values) != len(shape):
        raise invalid()
    try:
        return tuple(_typed(value, expected) for value, expected in zip(values, shape))
    except (TypeError, ValueError, AttributeError):
        raise invalid() from None


def next_cursor(list_name: str, rows: Sequence, limit: int, sort_key: Callable) -> str | None:
    """The cursor after the `limit`-th row, when one more row was fetched
    (lists fetch `limit + 1` rows to know whether there is a next page)."""
    if len(rows) <= limit:
        return None
    return encode(list_name, *sort_key(rows[limit - 1]))
