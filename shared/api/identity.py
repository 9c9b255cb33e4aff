"""identity's API: agencies, invitations, registration, tokens, profiles."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.api.base import Page, PatchModel, RequestModel, ResponseModel
from shared.api.text import Email, Raw, Text

Role = Literal["job_seeker", "advisor", "company", "admin"]
AgencyCode = Text(2, 40, pattern=r"^[A-Z0-9][A-Z0-9-]*$")
DisplayName = Text(2, 80)
# Passwords are never trimmed; the policy (length, common ones) is identity's.
Password = Raw(1, 256)
RefreshToken = Raw(1, 200)


class AgencyIn(RequestModel):
    code: AgencyCode
    name: Text(2, 200)
    region: Text(2, 100)


class InvitationIn(RequestModel):
    role: Role
    agency_code: Text(2, 40) | None = None
    organization: Text(1, 200) | None = None
    email: Email | None = None
    max_uses: int = Field(1, ge=1, le=1000)
    expires_in_days: int = Field(14, ge=1, le=90)


class InvitationQuery(Page):
    active: bool = Field(False, description="Seulement les invitations encore utilisables")


class RegisterIn(RequestModel):
    invitation_code: Text(1, 64)
    email: Email
    password: Password
    display_name: DisplayName


class LoginIn(RequestModel):
    # Any text: a malformed address matches nobody (the same 401 as a wrong one).
    email: Raw(1, 254)
    password: Password
    # The device token a previous login of this account gave this device
    # (`LoginTokens.device_token`); an invalid one counts as none.
    device_token: Raw(1, 200) | None = Field(
        None, description="Jeton d'appareil reçu lors d'une connexion précédente de ce compte sur cet appareil : "
        "les échecs venus d'ailleurs ne bloquent pas cet appareil.")


class RefreshIn(RequestModel):
    refresh_token: RefreshToken


class PasswordChangeIn(RequestModel):
    current_password: Password
    new_password: Password


class EmailIn(RequestModel):
    # Any text: an address nobody has gets the same 202 as a known one.
    email: Raw(1, 254)


LinkToken = Raw(1, 200)


class PasswordResetConfirmIn(RequestModel):
    token: LinkToken
    new_password: Password


class EmailLinkConfirmIn(RequestModel):
    token: LinkToken


class ProfileIn(PatchModel):
    """What members change about themselves; role, agency_code, email or anything else is 422."""

    display_name: DisplayName = None
    bio: Raw(max_length=2000) = None
    topics: list[Text(pattern=r"^[A-Za-z0-9-]{1,80}$")] = Field(None, max_length=30)


class Agency(ResponseModel):
    code: str
    name: str
    region: str


class Invitation(ResponseModel):
    code: str
    role: Role
    agency_code: str | None
    organization: str | None
    email: str | None
    expires_at: str
    max_uses: int


class User(ResponseModel):
    id: str
    email: str
    display_name: str
    role: Role
    agency_code: str | None


class TokenPair(ResponseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"]
    expires_in: int


class LoginTokens(TokenPair):
    device_token: str | None = Field(
        None, description="Jeton d'appareil à conserver (cookie) et à renvoyer dans `device_token` lors des "
        "prochaines connexions à ce compte depuis cet appareil.")


class Me(User):
    bio: str | None
    topics: list[str]
    created_at: str
    profile_moderation: Literal["pending", "held", "refused"] | None = Field(
        None,
        description="Où en sont le nom affiché et la présentation proposés en dernier : `pending` (en cours "
        "d'analyse), `held` (en attente d'un modérateur), `refused` (refusés) ; absent ou null quand les autres "
        "membres voient ce que voit le membre. D'ici là, ils voient les précédents.",
    )


class PublicProfile(ResponseModel):
    id: str
    display_name: str
    role: Role
    agency_code: str | None
    bio: str | None



class Session(ResponseModel):
    id: str
    created_at: str
    last_used_at: str
    expires_at: str
    user_agent: str | None
    current: bool


class SessionPage(ResponseModel):
    items: list[Session]
    next_cursor: str | None


class InvitationItem(ResponseModel):
    code: str
    role: Role
    agency_code: str | None
    organization: str | None
    email: str | None
    uses: int
    max_uses: int
    expires_at: str
    revoked_at: str | None
    created_by: str | None
    created_at: str
    active: bool


class InvitationPage(ResponseModel):
    items: list[InvitationItem]
    next_cursor: str | None
