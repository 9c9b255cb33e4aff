"""Sessions in one sealed cookie.

The gateway's tokens never reach the browser's JavaScript: they travel
sealed (encrypted and authenticated with Fernet, a key derived from
WEB_COOKIE_SECRET) in an `HttpOnly`, `SameSite=Lax` cookie, `Secure` outside
local development. The same cookie carries the session's CSRF secret, so a
visitor who has not signed in gets one too (an anonymous session).

The access token is refreshed a little before it expires, without the
person noticing. A refresh token works once, and the gateway treats a
replayed one as theft (it revokes the whole login), so requests that arrive
together with the same expiring cookie (a page and its notification stream)
share one refresh: `Refresher` keeps each answer for a minute.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

COOKIE_NAME = "session"


def fernet_for(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"web-session-v1", info=b"cookie").derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


@dataclass
class Session:
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    access_token: str | None = None
    refresh_token: str | None = None
    access_expires_at: float = 0.0
    user: dict[str, Any] | None = None
    signed_in_at: float = 0.0
    # A message for the next page ("Votre question est publiée."), shown once.
    flash: str | None = None
    changed: bool = False

    @property
    def signed_in(self) -> bool:
        return bool(self.access_token and self.user)

    def sign_in(self, tokens: dict[str, Any], user: dict[str, Any], now: float) -> None:
        self.set_tokens(tokens, now)
        self.user = {key: user.get(key) for key in ("id", "role", "agency_code", "display_name")}
        # Whether to show the "how to start" steps, without asking for the profile on every feed.
        self.user["follows_topics"] = bool(user.get("topics"))
        self.signed_in_at = now
        self.csrf = secrets.token_urlsafe(24)  # a new secret for the new identity
        self.changed = True

    def set_tokens(self, tokens: dict[str, Any], now: float) -> None:
        self.access_token = tokens["access_token"]
        self.refresh_token = tokens["refresh_token"]
        self.access_expires_at = now + float(tokens.get("expires_in") or 0)
        self.changed = True

    def sign_out(self) -> None:
        self.access_token = self.refresh_token = None
        self.access_expires_at = 0.0
        self.user = None
        self.csrf = secrets.token_urlsafe(24)
        self.changed = True

    def needs_refresh(self, now: float, margin: float) -> bool:
        return self.signed_in and now >= self.access_expires_at - margin

    def to_dict(self) -> dict[str, Any]:
        return {
            "c": self.csrf, "a": self.access_token, "r": self.refresh_token,
            "e": self.access_expires_at, "u": self.user, "s": self.signed_in_at, "f": self.flash,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Session":
        return cls(
            csrf=str(data["c"]), access_token=data.get("a"), refresh_token=data.get("r"),
            access_expires_at=float(data.get("e") or 0), user=data.get("u"), signed_in_at=float(data.get("s") or 0),
            flash=data.get("f"),
        )

    def say(self, message: str) -> None:
        self.flash = message
        self.changed = True

    def take_flash(self) -> str | None:
        message, self.flash = self.flash, None
        if message:
            self.changed = True
        return message


class SessionSealer:
    def __init__(self, secret: str, max_age_seconds: int):
        self._fernet = fernet_for(secret)
        self.max_age = max_age_seconds

    def seal(self, session: Session, now: float | None = None) -> str:
        payload = json.dumps(session.to_dict(), separators=(",", ":")).encode()
        at = int(now if now is not None else time.time())
        return self._fernet.encrypt_at_time(payload, at).decode()

    def unseal(self, cookie: str | None, now: float | None = None) -> Session | None:
        """The session, or None when the cookie is missing, forged, tampered with or too old."""
        if not cookie:
            return None
        try:
            at = int(now if now is not None else time.time())
            payload = self._fernet.decrypt_at_time(cookie.encode(), self.max_age, at)
            return Session.from_dict(json.loads(payload))
        except (InvalidToken, ValueError, KeyError, TypeError):
            return None


class RefreshFailed(Exception):
    """The login is over (refresh token expired, used or revoked)."""


class Refresher:
    """One refresh per refresh token, shared by concurrent requests, and its
    answer kept `keep_seconds` for the requests that still carry the old cookie."""

    def __init__(self, keep_seconds: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self._keep = keep_seconds
        self._clock = clock
        self._pending: dict[str, tuple[float, asyncio.Future[dict[str, Any]]]] = {}

    async def refresh(self, refresh_token: str, exchange: Callable[[str], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        self._forget_old()
        known = self._pending.get(refresh_token)
        if known is not None:
            return await asyncio.shield(known[1])
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[refresh_token] = (self._clock(), future)
        try:
            future.set_result(await exchange(refresh_token))
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody else waits
        return await asyncio.shield(future)

    def _forget_old(self) -> None:
        limit = self._clock() - self._keep
        for token in [t for t, (at, _) in self._pending.items() if at < limit]:
            del self._pending[token]
