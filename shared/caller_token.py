"""The caller context, signed: what a service believes about who calls it.

Anyone who can publish to the broker can put `nameko.caller_*` headers on an
RPC request, so services no longer read them. The gateway (having verified
the access token) signs the caller as a short-lived Ed25519 JWT whose
audience is the one service it calls; the service verifies it with the
gateway's public key and takes the caller from it alone. Asymmetric keys: a
service holds only the public key, so it cannot mint callers for the others.
An anonymous call is signed too (no `sub`), so a request with no token is
refused rather than taken as anonymous.
"""
from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

# Worker-context key (the `nameko.` header prefix stripped) of the signed caller.
TOKEN_KEY = "caller_token"
# What the gateway forwards, and what a service rebuilds from a verified token.
CALLER_KEYS = ("caller_id", "caller_role", "caller_agency", "caller_session")
ISSUER = "platform-gateway"
ALGORITHM = "EdDSA"
# A request lives at most RPC_TIMEOUT_SECONDS; a minute covers it and some
# clock skew between hosts, yet a token read off the wire is soon useless.
DEFAULT_TTL_SECONDS = 60
LEEWAY_SECONDS = 5
# A signed caller is reused for this part of its life at most, so a service
# always receives one with at least the other half (30 s by default) to live:
# more than any RPC deadline. Signing and verifying are each a sizeable part
# of a read's CPU (Ed25519 plus PyJWT's JSON and base64, issue 17).
REUSE_FRACTION = 0.5
# Bound on each cache: past it the oldest entries go (a dict keeps insertion order).
CACHE_SIZE = 4096

_CLAIMS = {"caller_id": "sub", "caller_role": "role", "caller_agency": "agency", "caller_session": "sid"}


class CallerTokenError(Exception):
    """The caller context is missing, unsigned, expired, for another service or altered."""


class CallerSigner:
    """The gateway's side: signs a caller for one target service."""

    def __init__(self, private_key: Ed25519PrivateKey | None = None, ttl_seconds: float = DEFAULT_TTL_SECONDS,
                 path: Path | str | None = None) -> None:
        self._key = private_key
        self._ttl = ttl_seconds
        self._path = Path(path) if path is not None else None
        # (audience, caller values) -> (token, reuse until): one signature per
        # caller and service every ttl * REUSE_FRACTION seconds, not per call.
        self._signed: dict[tuple, tuple[str, float]] = {}

    @classmethod
    def from_file(cls, path: Path | str, ttl_seconds: float = DEFAULT_TTL_SECONDS) -> "CallerSigner":
        """A signer whose key is read now (a missing file fails at once)."""
        signer = cls(ttl_seconds=ttl_seconds, path=path)
        if not signer.load():
            raise FileNotFoundError(path)
        return signer

    @classmethod
    def lazy(cls, path: Path | str, ttl_seconds: float = DEFAULT_TTL_SECONDS) -> "CallerSigner":
        """A signer that reads its key when first needed: the gateway starts
        without it and says so on /readyz, as with the JWT public key."""
        return cls(ttl_seconds=ttl_seconds, path=path)

    def load(self) -> bool:
        """Whether the key is there (read once, when it first is)."""
        if self._key is None and self._path is not None and self._path.is_file():
            key = load_pem_private_key(self._path.read_bytes(), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise SystemExit(f"{self._path} is not an Ed25519 private key")
            self._key = key
        return self._key is not None

    def sign(self, context: Mapping[str, Any], audience: str | Iterable[str]) -> str:
        """A token carrying the caller_* values of `context` (empty ones left
        out); CallerTokenError when the key is missing."""
        if not self.load():
            raise CallerTokenError(f"no caller signing key at {self._path}")
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": audience if isinstance(audience, str) else list(audience),
            "iat": now,
            "exp": now + int(self._ttl),
        }
        for key, claim in _CLAIMS.items():
            value = context.get(key)
            if value:
                claims[claim] = str(value)
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def sign_context(self, context: Mapping[str, Any], audience: str | Iterable[str]) -> dict[str, Any]:
        """`context` with its plain caller_* values replaced by their signed token
        (the same token for the same caller and service while it is young)."""
        signed = {key: value for key, value in context.items() if key not in CALLER_KEYS and key != TOKEN_KEY}
        signed[TOKEN_KEY] = self.reusable_token(context, audience)
        return signed

    def reusable_token(self, context: Mapping[str, Any], audience: str | Iterable[str]) -> str:
        """`sign`, reusing the token signed for the same caller and audience
        while it has more than (1 - REUSE_FRACTION) of its life left."""
        if not isinstance(audience, str):
            return self.sign(context, audience)
        key = (audience, *(str(context.get(name) or "") for name in _CLAIMS))
        now = time.time()
        known = self._signed.get(key)
        if known is not None and now < known[1]:
            return known[0]
        token = self.sign(context, audience)
        if len(self._signed) >= CACHE_SIZE:
            drop_oldest(self._signed)
        # From the second `sign` counts in (iat is whole seconds, rounded down).
        self._signed[key] = (token, int(now) + self._ttl * REUSE_FRACTION)
        return token


class CallerVerifier:
    """A service's side: the caller of a request addressed to `audience`."""

    def __init__(self, public_key: Ed25519PublicKey, audience: str) -> None:
        self._key = public_key
        self._audience = audience
        # token -> (its caller values, valid until): a token verified once is
        # the same bytes next time, so only its expiry needs checking again.
        # The gateway reuses a caller's token (CallerSigner), so most calls hit.
        self._verified: dict[str, tuple[dict[str, str], float]] = {}

    def verify(self, token: Any) -> dict[str, str]:
        """The caller_* context values the token carries; CallerTokenError if
        it is missing or not valid for this service now."""
        if not token or not isinstance(token, str):
            raise CallerTokenError("no signed caller context")
        known = self._verified.get(token)
        if known is not None:
            if time.time() < known[1]:
                return dict(known[0])
            del self._verified[token]
            raise CallerTokenError("caller context refused: ExpiredSignatureError")
        try:
            claims = jwt.decode(
                token, self._key, algorithms=[ALGORITHM], audience=self._audience, issuer=ISSUER,
                leeway=LEEWAY_SECONDS, options={"require": ["exp", "iat", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise CallerTokenError(f"caller context refused: {type(exc).__name__}") from None
        caller = {key: str(claims[claim]) for key, claim in _CLAIMS.items() if claims.get(claim)}
        if len(self._verified) >= CACHE_SIZE:
            drop_oldest(self._verified)
        # PyJWT accepts a token until exp + leeway: so does the cache.
        self._verified[token] = (caller, float(claims["exp"]) + LEEWAY_SECONDS)
        return dict(caller)

    def verified_context(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Worker context data with every caller_* value taken from the
        verified token, never from a plain header (those are dropped)."""
        caller = self.verify(data.get(TOKEN_KEY))
        trusted = {
            key: value for key, value in data.items()
            if key != TOKEN_KEY and not key.startswith("caller_")
        }
        trusted.update(caller)
        return trusted


def drop_oldest(entries: dict) -> None:
    """Forget the oldest quarter of a bounded cache (insertion order)."""
    for key in list(entries)[: max(1, len(entries) // 4)]:
        del entries[key]


@cache
def _public_key(path: str) -> Ed25519PublicKey:
    key = load_pem_public_key(Path(path).read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise SystemExit(f"{path} is not an Ed25519 public key")
    return key


def verifier_for(service: str, public_key_path: Path | str) -> CallerVerifier:
    """The verifier of one service, its key read once per process."""
    return CallerVerifier(_public_key(str(public_key_path)), service)
