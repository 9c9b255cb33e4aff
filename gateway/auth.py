"""Access-token verification, done by the gateway itself (no RPC).

Tokens are JWTs signed by identity with Ed25519; the algorithm is pinned to
EdDSA so that ``alg: none`` or an HMAC signed with the public key are refused.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import Headers
from starlette.types import Scope

from gateway.errors import ProblemError, unauthorized
from shared.caller import ROLES as SHARED_ROLES
from shared.caller import Caller
from shared.caller_token import drop_oldest

log = logging.getLogger(__name__)

# The same Caller and roles as the services: one authorization vocabulary.
ROLES = frozenset(SHARED_ROLES)
REQUIRED_CLAIMS = ["exp", "iat", "sub", "aud", "iss"]
# Verified tokens kept per process: a member's token comes back with each of
# their requests, and verifying it (Ed25519, PyJWT's base64 and JSON) was the
# largest single cost of a read in the gateway (issue 17). Bounded: past it
# the oldest quarter goes.
VERIFIED_CACHE_SIZE = 10_000


@dataclass(frozen=True)
class VerifiedToken:
    caller: Caller
    session_id: str | None
    expires_at: float  # the token's `exp`, seconds since the epoch


class KeyUnavailable(Exception):
    pass


class TokenVerifier:
    """Verifies access tokens; the public key is read once, when it exists."""

    def __init__(self, key_path: str, *, issuer: str, audience: str, leeway: float = 10.0):
        self._key_path = Path(key_path)
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway
        self._key: Ed25519PublicKey | None = None
        # token -> its VerifiedToken: the same bytes verify the same way until
        # they expire (revocations are the blocklist's, checked per request).
        self._verified: dict[str, VerifiedToken] = {}

    def load(self) -> bool:
        """Load the key if present; identity may write it after we start."""
        if self._key is not None:
            return True
        try:
            key = load_pem_public_key(self._key_path.read_bytes())
        except FileNotFoundError:
            log.warning("JWT public key not found at %s", self._key_path)
            return False
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError(f"{self._key_path} is not an Ed25519 public key")
        self._key = key
        return True

    def verify(self, token: str) -> VerifiedToken:
        known = self._verified.get(token)
        if known is not None:
            if time.time() < known.expires_at + self._leeway:  # as PyJWT judges `exp`
                return known
            del self._verified[token]
            raise unauthorized("Le jeton d'accès a expiré.")
        verified = self._verify(token)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            drop_oldest(self._verified)
        self._verified[token] = verified
        return verified

    def _verify(self, token: str) -> VerifiedToken:
        if not self.load():
            raise KeyUnavailable(str(self._key_path))
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=["EdDSA"],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            raise unauthorized("Le jeton d'accès a expiré.") from None
        except jwt.InvalidTokenError:
            raise unauthorized("Le jeton d'accès est invalide.") from None
        subject, role, agency = claims.get("sub"), claims.get("role"), claims.get("agency")
        if not isinstance(subject, str) or not subject or role not in ROLES:
            raise unauthorized("Le jeton d'accès est invalide.")
        if agency is not None and not isinstance(agency, str):
            raise unauthorized("Le jeton d'accès est invalide.")
        session = claims.get("sid")
        return VerifiedToken(
            Caller(id=subject, role=role, agency_code=agency, session_id=session if isinstance(session, str) else None),
            session if isinstance(session, str) else None,
            float(claims["exp"]),
        )


bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearerAuth",
    bearerFormat="JWT",
    description="Jeton d'accès obtenu sur POST /v1/auth/token.",
)


def _verifier(request: Request) -> TokenVerifier:
    return request.app.state.token_verifier


# Where a token verified before routing (the rate limiter) is kept for the
# route's dependency: (the token, its VerifiedToken), in the request's state.
VERIFIED_TOKEN_SCOPE_KEY = "verified_bearer"


def bearer_token(scope: Scope) -> str | None:
    """The bearer token of a request, unverified."""
    value = Headers(scope=scope).get("authorization")
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def verify_for_scope(scope: Scope, token: str) -> VerifiedToken | None:
    """Verify a token outside a route and keep the result for the route's
    dependency; None when it would be refused (the route then says why)."""
    state = scope["app"].state
    try:
        verified = state.token_verifier.verify(token)
    except (ProblemError, KeyUnavailable):
        return None
    blocklist = getattr(state, "access_blocklist", None)
    if blocklist is not None and blocklist.is_blocked(verified.caller.id, verified.session_id):
        return None
    scope.setdefault("state", {})[VERIFIED_TOKEN_SCOPE_KEY] = (token, verified)
    return verified


def _verify(request: Request, token: str) -> VerifiedToken:
    known = request.scope.get("state", {}).get(VERIFIED_TOKEN_SCOPE_KEY)
    if known is not None and known[0] == token:
        return known[1]
    try:
        return _verifier(request).verify(token)
    except KeyUnavailable:
        log.error("Cannot verify tokens: JWT public key missing")
        raise ProblemError(503, "La vérification des jetons est momentanément indisponible.") from None


def _authenticate(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthorized("Authentification requise : jeton d'accès manquant.")
    verified = _verify(request, credentials.credentials)
    caller = verified.caller
    blocklist = getattr(request.app.state, "access_blocklist", None)
    if blocklist is not None and blocklist.is_blocked(caller.id, verified.session_id):
        raise unauthorized("Votre accès a été révoqué ou suspendu.")
    request.state.caller = caller
    request.state.verified_token = verified
    return caller


async def current_user(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),
) -> Caller:
    """The authenticated caller; 401 problem otherwise."""
    return _authenticate(request, credentials)


async def optional_user(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),
) -> Caller | None:
    """The caller when a token is sent (it must then be valid), else None."""
    if credentials is None:
        return None
    return _authenticate(request, credentials)


def require_roles(*roles: str):
    """Dependency: the caller, who must hold one of ``roles`` (else 403)."""
    unknown = set(roles) - ROLES
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")

    async def dependency(caller: Caller = Depends(current_user)) -> Caller:
        if caller.role not in roles:
            raise ProblemError(403)
        return caller

    return dependency
