"""Who is calling: the identity the gateway forwards in the RPC context.

An RPC has no authentication of its own; the gateway verified the token and
forwards the caller in nameko context headers. Services check what the caller
may do with these helpers and never trust a user id from a request body.
"""
from dataclasses import dataclass

from shared.errors import Forbidden, Unauthorized

ROLES = ("job_seeker", "advisor", "company", "admin")
STAFF_ROLES = ("advisor", "admin")


@dataclass(frozen=True)
class Caller:
    id: str | None
    role: str | None
    agency_code: str | None
    # The login (access token's `sid`) the call comes from: lets identity tell
    # "this session" from the caller's other ones.
    session_id: str | None = None

    @property
    def authenticated(self) -> bool:
        return bool(self.id and self.role)

    @classmethod
    def anonymous(cls) -> "Caller":
        return cls(None, None, None)

    @classmethod
    def from_context(cls, data: dict) -> "Caller":
        return cls(
            id=data.get("caller_id") or None,
            role=data.get("caller_role") or None,
            agency_code=data.get("caller_agency") or None,
            session_id=data.get("caller_session") or None,
        )

    def require_user(self) -> "Caller":
        if not self.authenticated:
            raise Unauthorized("Authentification requise.")
        return self

    def require_role(self, *roles: str) -> "Caller":
        self.require_user()
        if self.role not in roles:
            raise Forbidden("Votre rôle ne permet pas cette action.")
        return self

    def is_staff_of(self, agency_code: str | None) -> bool:
        """An admin acts everywhere; an advisor only within their agency."""
        if self.role == "admin":
            return True
        return self.role == "advisor" and agency_code is not None and agency_code == self.agency_code
