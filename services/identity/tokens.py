"""Access tokens (EdDSA-signed JWTs the gateway verifies by itself) and
refresh tokens (random, stored hashed, each usable once)."""
import hashlib
import hmac
import secrets
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ALGORITHM = "EdDSA"
DEVICE_TOKEN_VERSION = "d1"


def hash_refresh_token(token: str) -> str:
    """SHA-256 is enough for random 256-bit tokens (no dictionary to try)."""
    return hashlib.sha256(token.encode()).hexdigest()


hash_link_token = hash_refresh_token


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


class TokenIssuer:
    def __init__(self, private_key_pem: bytes, issuer: str, audience: str, access_minutes: int, refresh_days: int,
                 login_days: float = 30, reuse_grace_seconds: int = 30, device_days: float = 180):
        self._key = private_key_pem
        # Device tokens are HMACs under a key derived from identity's signing
        # key: the same in every replica, with no new secret to deploy, and
        # never usable as an access token (not a JWT, another key).
        self._device_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"identity-device-token-v1",
                                info=b"device").derive(private_key_pem)
        self.device_ttl = timedelta(days=device_days)
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
            getattr(settings, "login_device_days", 180),
        )

    # ------------------------------------------------------------ device tokens
    # OWASP's device cookies: after a successful login the client gets a token
    # naming the account and a random device id, signed. Presented with the
    # same account's e-mail later, it marks a device that has signed in before.

    def _device_signature(self, body: str) -> str:
        return hmac.new(self._device_key, body.encode(), hashlib.sha256).hexdigest()

    def device_token(self, user_id: str, now: datetime) -> str:
        expires = int((now + self.device_ttl).timestamp())
        body = f"{DEVICE_TOKEN_VERSION}.{uuid.UUID(user_id).hex}.{secrets.token_hex(12)}.{expires}"
        return f"{body}.{self._device_signature(body)}"

    def device_of(self, token: str | None, user_id, now: datetime) -> str | None:
        """The device id of a valid, unexpired token of `user_id`; None for
        anything else (absent, forged, expired, another account's)."""
        if not token or user_id is None:
            return None
        parts = token.split(".")
        if len(parts) != 5 or parts[0] != DEVICE_TOKEN_VERSION:
            return None
        body, signature = ".".join(parts[:4]), parts[4]
        if not hmac.compare_digest(signature, self._device_signature(body)):
            return None
        _, account, device, expires = parts[:4]
        if account != uuid.UUID(str(user_id)).hex or not expires.isdigit() or int(expires) <= now.timestamp():
            return None
        return device

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
