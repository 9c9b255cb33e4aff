"""identity's use cases: plain functions over a unit of work.

Collaborators with I/O or heavy CPU (the password hasher, the token issuer,
the clock) are passed in, so unit tests run them without nameko or a database.
"""
import secrets
import uuid
from datetime import datetime

from services.identity import domain
from services.identity.models import Agency, Invitation, RefreshToken, User
from services.identity.schemas import AgencyIn, InvitationIn, LoginIn, RefreshIn, RegisterIn
from services.identity.tokens import TokenIssuer, hash_refresh_token, new_refresh_token
from shared.caller import Caller
from shared.contracts.identity import UserRegistered
from shared.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from shared.validation import parse

WRONG_CREDENTIALS = "Adresse e-mail ou mot de passe incorrect."


def agency_view(a: Agency) -> dict:
    return {"code": a.code, "name": a.name, "region": a.region}


def me_view(u: User) -> dict:
    return {
        "id": str(u.id),
        "email": u.email,
        "display_name": u.display_name,
        "role": u.role,
        "agency_code": u.agency_code,
        "bio": u.bio,
        "topics": list(u.topics or []),
        "created_at": u.created_at.isoformat() if u.created_at else None,
    }


def public_view(u: User) -> dict:
    return {"id": str(u.id), "display_name": u.display_name, "role": u.role, "agency_code": u.agency_code, "bio": u.bio}


def list_agencies(uow) -> list[dict]:
    return [agency_view(a) for a in uow.agencies.all()]


def create_agency(uow, caller: Caller, data: dict) -> dict:
    caller.require_role("admin")
    agency_in = parse(AgencyIn, data)
    if uow.agencies.get(agency_in.code):
        raise Conflict("Une agence existe déjà avec ce code.")
    agency = Agency(code=agency_in.code, name=agency_in.name.strip(), region=agency_in.region.strip())
    uow.agencies.add(agency)
    uow.commit()
    return agency_view(agency)


def create_invitation(uow, caller: Caller, data: dict, now: datetime) -> dict:
    inv_in = parse(InvitationIn, data)
    agency_code = domain.invitation_agency(caller, inv_in.role, inv_in.agency_code)
    if agency_code and not uow.agencies.get(agency_code):
        raise ValidationFailed.single(["body", "agency_code"], "Agence inconnue.")
    invitation = Invitation(
        code=secrets.token_urlsafe(12),
        role=inv_in.role,
        agency_code=agency_code,
        organization=inv_in.organization,
        email=domain.normalize_email(inv_in.email) if inv_in.email else None,
        max_uses=inv_in.max_uses,
        uses=0,
        expires_at=domain.invitation_expiry(now, inv_in.expires_in_days),
        created_by=uuid.UUID(caller.id),
    )
    uow.invitations.add(invitation)
    uow.commit()
    return {
        "code": invitation.code,
        "role": invitation.role,
        "agency_code": invitation.agency_code,
        "organization": invitation.organization,
        "email": invitation.email,
        "expires_at": invitation.expires_at.isoformat(),
        "max_uses": invitation.max_uses,
    }


def register(uow, data: dict, hasher, common_passwords: frozenset[str], now: datetime) -> dict:
    reg = parse(RegisterIn, data)
    email = domain.normalize_email(reg.email)
    problems = domain.password_problems(reg.password, common_passwords)
    if problems:
        raise ValidationFailed([{"loc": ["body", "password"], "msg": p} for p in problems])
    invitation = uow.invitations.get_for_update(reg.invitation_code)
    if invitation is None or not domain.invitation_usable(invitation.uses, invitation.max_uses, invitation.expires_at, now):
        raise Forbidden(domain.INVITATION_REFUSED)
    if invitation.email and invitation.email != email:
        raise Forbidden(domain.INVITATION_REFUSED)
    if uow.users.by_email(email):
        raise Conflict("Cette adresse e-mail est déjà utilisée.")
    user = User(
        id=uuid.uuid4(),
        email=email,
        password_hash=hasher.hash(reg.password),
        display_name=reg.display_name.strip(),
        role=invitation.role,
        agency_code=invitation.agency_code,
        organization=invitation.organization,
        bio="",
        topics=[],
        status="active",
        created_at=now,
    )
    invitation.uses += 1
    uow.users.add(user)
    uow.record(UserRegistered(user_id=str(user.id), email=user.email, display_name=user.display_name, role=user.role, agency_code=user.agency_code, registered_at=now))
    uow.commit()
    return {"id": str(user.id), "email": user.email, "display_name": user.display_name, "role": user.role, "agency_code": user.agency_code}


def _issue_pair(uow, user: User, tokens: TokenIssuer, family_id: uuid.UUID, now: datetime) -> dict:
    refresh = new_refresh_token()
    uow.refresh_tokens.add(
        RefreshToken(
            token_hash=hash_refresh_token(refresh),
            family_id=family_id,
            user_id=user.id,
            expires_at=now + tokens.refresh_ttl,
        )
    )
    return {
        "access_token": tokens.access_token(str(user.id), user.role, user.agency_code, family_id, now),
        "refresh_token": refresh,
        "token_type": "bearer",
        "expires_in": int(tokens.access_ttl.total_seconds()),
    }


def login(uow, data: dict, hasher, tokens: TokenIssuer, now: datetime) -> dict:
    creds = parse(LoginIn, data)
    user = uow.users.by_email(domain.lookup_email(creds.email))
    # Verify against a dummy hash for an unknown e-mail: same answer, same time.
    valid = hasher.verify(user.password_hash if user else hasher.dummy_hash, creds.password)
    if not user or not valid or user.status != "active":
        raise Unauthorized(WRONG_CREDENTIALS)
    if hasher.needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(creds.password)
    pair = _issue_pair(uow, user, tokens, uuid.uuid4(), now)
    uow.commit()
    return pair


def refresh(uow, data: dict, tokens: TokenIssuer, now: datetime) -> dict:
    """Rotate a refresh token. A replayed (already used) token means it was
    stolen or leaked: every token of that login is revoked."""
    req = parse(RefreshIn, data)
    stored = uow.refresh_tokens.get_for_update(hash_refresh_token(req.refresh_token))
    if stored is None or stored.revoked_at is not None or stored.expires_at <= now:
        raise Unauthorized("Jeton de renouvellement invalide.")
    if stored.used_at is not None:
        uow.refresh_tokens.revoke_family(stored.family_id, now)
        uow.commit()
        raise Unauthorized("Jeton de renouvellement déjà utilisé : la session est révoquée.")
    user = uow.users.get(stored.user_id)
    if user is None or user.status != "active":
        raise Unauthorized("Jeton de renouvellement invalide.")
    stored.used_at = now
    pair = _issue_pair(uow, user, tokens, stored.family_id, now)
    uow.commit()
    return pair


def logout(uow, caller: Caller, data: dict, now: datetime) -> None:
    caller.require_user()
    req = parse(RefreshIn, data)
    stored = uow.refresh_tokens.get_for_update(hash_refresh_token(req.refresh_token))
    if stored is not None and str(stored.user_id) == caller.id:
        uow.refresh_tokens.revoke_family(stored.family_id, now)
        uow.commit()


def get_me(uow, caller: Caller) -> dict:
    caller.require_user()
    user = uow.users.get(uuid.UUID(caller.id))
    if user is None or user.status == "erased":
        raise NotFound("Compte introuvable.")
    return me_view(user)


def get_user(uow, caller: Caller, user_id: str) -> dict:
    caller.require_user()
    try:
        key = uuid.UUID(str(user_id))
    except ValueError:
        raise NotFound("Utilisateur introuvable.") from None
    user = uow.users.get(key)
    if user is None or user.status == "erased":
        raise NotFound("Utilisateur introuvable.")
    return public_view(user)


def seed(uow, agencies: list[dict], admin_email: str, admin_password: str, hasher, now: datetime) -> dict:
    """Pilot data, idempotent: what exists is kept as it is."""
    added = 0
    for a in agencies:
        if not uow.agencies.get(a["code"]):
            uow.agencies.add(Agency(code=a["code"], name=a["name"], region=a["region"]))
            added += 1
    email = domain.normalize_email(admin_email, loc="PLATFORM_ADMIN_EMAIL")
    admin_created = False
    if uow.users.by_email(email) is None:
        admin = User(
            id=uuid.uuid4(), email=email, password_hash=hasher.hash(admin_password), display_name="Équipe nationale",
            role="admin", agency_code=None, organization=None, bio="", topics=[], status="active", created_at=now,
        )
        uow.users.add(admin)
        uow.record(UserRegistered(user_id=str(admin.id), email=admin.email, display_name=admin.display_name, role="admin", agency_code=None, registered_at=now))
        admin_created = True
    uow.commit()
    return {"agencies_added": added, "admin_created": admin_created}
