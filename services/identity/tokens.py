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
    return hashlib.sha256(token.encode()).hexdigest()


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


class TokenIssuer:
    def __init__(self, private_key_pem: bytes, issuer: str, audience: str, access_minutes: int, refresh_days: int,
                 reuse_grace_seconds: int = 30):
        self._key = private_key_pem
        self.issuer = issuer
        self.audience = audience
        self.access_ttl = timedelta(minutes=access_minutes)
        self.refresh_ttl = timedelta(days=refresh_days)
        self.refresh_reuse_grace = timedelta(seconds=reuse_grace_seconds)

    @classmethod
    def from_settings(cls, settings) -> "TokenIssuer":
        return cls(
            Path(settings.jwt_private_key_path).read_bytes(),
            settings.jwt_issuer,
            settings.jwt_audience,
            settings.access_token_minutes,
            settings.refresh_token_days,
            settings.refresh_reuse_grace_seconds,
        )

    def access_token(self, user_id: str, role: str, agency_code: str | None, family_id: uuid.UUID, now: datetime) -> str:
        claims = {
            "sub": user_id,
            "role": role,
            "agency": agency_code,
            "sid": str(family_id),  # the login session, so it can be revoked as a whole
            "iss": self.issuer,
            "aud": self.audience,
            "iat": int(now.timestamp()),
            "exp": int((now + self.access_ttl).timestamp()),
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)
