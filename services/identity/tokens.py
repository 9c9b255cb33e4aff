"""Access tokens (EdDSA-signed JWTs the gateway verifies by itself) and
refresh tokens (random, stored hashed, each usable once)."""
import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import jwt

ALGORITHM = "EdDSA"


def hash_refresh_token(token: str) -> str:
    """SHA-256 is enough for random 256-bit tokens (no dictionary to try)."""
    return hashlib.sha256(token.encode()).hexdigest()


hash_link_token = hash_refresh_token


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


class TokenIssuer:
    def __init__(self, private_key_pem: bytes, issuer: str, audience: str, access_minutes: int, refresh_days: int,
                 login_days: float = 30, reuse_grace_seconds: int = 30):
        self._key = private_key_pem
        self.issuer = issuer
        self.audience = audience
        self.access_ttl = timedelta(minutes=access_minutes)
        self.refresh_ttl = timedelta(days=refresh_days)
        self.login_ttl = timedelta(days=login_days)  # a login's absolute end, refreshes or not
        self.refresh_reuse_grace = timedelta(seconds=reuse_grace_seconds)

    @classmethod
    def from_settings(cls, settings) -> "TokenIssuer":
        return cls(
            Path(settings.jwt_private_key_path).read_bytes(),
            settings.jwt_issuer,
            settings.jwt_audience,
            settings.access_token_minutes,
            settings.refresh_token_days,
            getattr(settings, "login_max_days", 30),
            settings.refresh_reuse_grace_seconds,
        )

    def access_token(self, user_id: str, role: str, agency_code: str | None, family_id: uuid.UUID, now: datetime,
                     not_after: datetime | None = None) -> str:
        """`not_after`: the login's end, which the token never outlives."""
        expires = now + self.access_ttl if not_after is None else min(now + self.access_ttl, not_after)
        claims = {
            "sub": user_id,
            "role": role,
            "agency": agency_code,
            "sid": str(family_id),  # the login session, so it can be revoked as a whole
            "iss": self.issuer,
            "aud": self.audience,
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)
