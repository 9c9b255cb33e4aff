"""identity's RPC input models (the gateway validates the same shapes)."""
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Role = Literal["job_seeker", "advisor", "company", "admin"]


def Text(min_length: int, max_length: int):
    """Text trimmed before its length is checked (passwords are never trimmed)."""
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AgencyIn(Strict):
    code: str = Field(min_length=2, max_length=40, pattern=r"^[A-Z0-9][A-Z0-9-]*$")
    name: Text(2, 200)
    region: Text(2, 100)


class InvitationIn(Strict):
    role: Role
    agency_code: str | None = None
    organization: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    max_uses: int = Field(default=1, ge=1, le=1000)
    expires_in_days: int = Field(default=14, ge=1, le=90)


class RegisterIn(Strict):
    invitation_code: str = Field(min_length=1, max_length=64)
    email: str = Field(max_length=320)
    password: str = Field(max_length=256)
    display_name: Text(2, 80)


class LoginIn(Strict):
    email: str = Field(max_length=320)
    password: str = Field(max_length=256)


class RefreshIn(Strict):
    refresh_token: str = Field(min_length=1, max_length=200)


class ProfileIn(Strict):
    """What a member may change about themselves; role, agency and e-mail are not."""

    display_name: Text(2, 80) | None = None
    bio: str | None = Field(default=None, max_length=2000)
    topics: list[Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,80}$")]] | None = Field(
        default=None, max_length=30
    )
