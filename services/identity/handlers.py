"""identity's use cases: plain functions over a unit of work.

Collaborators with I/O or heavy CPU (the password hasher, the token issuer,
the clock) are passed in, so unit tests run them without nameko or a database.
"""
import secrets
import uuid
from datetime import datetime

from services.identity import domain
from services.identity.models import Agency, Invitation, RefreshToken, User
from services.identity.tokens import TokenIssuer, hash_refresh_token, new_refresh_token
from shared.api.identity import AgencyIn, InvitationIn, LoginIn, ProfileIn, RefreshIn, RegisterIn
from shared.caller import Caller
from shared.contracts.identity import (
    AccessRestored,
    AccessRevoked,
    AgencyCreated,
    ProfileUpdatedV2,
    UserErasedV2,
    UserRegisteredV2,
)
from shared.contracts.moderation import SanctionImposed, SanctionLifted
from shared.errors import Conflict, Forbidden, NotFound, TooManyRequests, Unauthorized, ValidationFailed
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


def create_agency(uow, caller: Caller, data: dict, now: datetime) -> dict:
    caller.require_role("admin")
    agency_in = parse(AgencyIn, data)
    if uow.agencies.get(agency_in.code):
        raise Conflict("Une agence existe déjà avec ce code.")
    agency = Agency(code=agency_in.code, name=agency_in.name.strip(), region=agency_in.region.strip())
    uow.agencies.add(agency)
    uow.record(AgencyCreated(code=agency.code, name=agency.name, region=agency.region, created_at=now))
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
        version=1,
    )
    invitation.uses += 1
    uow.users.add(user)
    uow.record(UserRegisteredV2(user_id=str(user.id), email=user.email, display_name=user.display_name, role=user.role, agency_code=user.agency_code, registered_at=now, member_version=user.version))
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


def _failure_keys(email: str, client_key: str | None) -> list[tuple[str, int]]:
    keys = [(f"email:{email}", domain.MAX_FAILURES_PER_ACCOUNT)]
    if client_key:
        keys.append((f"client:{client_key}", domain.MAX_FAILURES_PER_CLIENT))
    return keys


def login(uow, data: dict, hasher, tokens: TokenIssuer, now: datetime, client_key: str | None = None) -> dict:
    creds = parse(LoginIn, data)
    email = domain.lookup_email(creds.email)
    keys = _failure_keys(email, client_key)
    for key, limit in keys:
        wait = domain.retry_after_seconds(uow.login_failures.times(key, now - domain.LOGIN_WINDOW), limit, now)
        if wait is not None:
            raise TooManyRequests("Trop de tentatives de connexion. Réessayez dans quelques minutes.", wait)
    user = uow.users.by_email(email)
    # Verify against a dummy hash for an unknown e-mail: same answer, same time.
    valid = hasher.verify(user.password_hash if user and user.password_hash else hasher.dummy_hash, creds.password)
    if not user or not valid or user.status == "erased":
        for key, _ in keys:
            uow.login_failures.add(key, now)
        uow.commit()
        raise Unauthorized(WRONG_CREDENTIALS)
    if domain.is_suspended(user.status, user.suspended_until, now):
        raise Unauthorized("Votre compte est suspendu.")
    uow.login_failures.clear(keys[0][0])
    if hasher.needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(creds.password)
    pair = _issue_pair(uow, user, tokens, uuid.uuid4(), now)
    uow.commit()
    return pair


def _revoke_session(uow, family_id, tokens: TokenIssuer, now: datetime) -> None:
    """Refresh tokens of the login die now; its access tokens at the gateway, by event."""
    uow.refresh_tokens.revoke_family(family_id, now)
    uow.record(
        AccessRevoked(
            user_id=None, session_id=str(family_id), reason="session_revoked", until=now + tokens.access_ttl, revoked_at=now
        )
    )


def refresh(uow, data: dict, tokens: TokenIssuer, now: datetime) -> dict:
    """Rotate a refresh token. A replayed (already used) token means it was
    stolen or leaked: every token of that login is revoked. Used again
    within the grace window of its first use, it is the client retrying a
    refresh whose answer it never got: it gets a new pair of the same login
    (`used_at` keeps the first use, so retries do not stretch the window)."""
    req = parse(RefreshIn, data)
    stored = uow.refresh_tokens.get_for_update(hash_refresh_token(req.refresh_token))
    if stored is None or stored.revoked_at is not None or stored.expires_at <= now:
        raise Unauthorized("Jeton de renouvellement invalide.")
    if stored.used_at is not None and not domain.is_retried_refresh(stored.used_at, now, tokens.refresh_reuse_grace):
        _revoke_session(uow, stored.family_id, tokens, now)
        uow.commit()
        raise Unauthorized("Jeton de renouvellement déjà utilisé : la session est révoquée.")
    user = uow.users.get(stored.user_id)
    if user is None or user.status == "erased" or domain.is_suspended(user.status, user.suspended_until, now):
        raise Unauthorized("Jeton de renouvellement invalide.")
    stored.used_at = stored.used_at or now
    pair = _issue_pair(uow, user, tokens, stored.family_id, now)
    uow.commit()
    return pair


def logout(uow, caller: Caller, data: dict, tokens: TokenIssuer, now: datetime) -> None:
    """Ends the login the refresh token belongs to. Holding that token is
    proof enough; a signed-in caller may only end their own logins."""
    req = parse(RefreshIn, data)
    stored = uow.refresh_tokens.get_for_update(hash_refresh_token(req.refresh_token))
    if stored is None or stored.revoked_at is not None:
        return
    if caller.authenticated and str(stored.user_id) != caller.id:
        return
    _revoke_session(uow, stored.family_id, tokens, now)
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


def update_me(uow, caller: Caller, data: dict, now: datetime) -> dict:
    caller.require_user()
    changes = parse(ProfileIn, data).model_dump(exclude_unset=True)
    if any(value is None for value in changes.values()):
        raise ValidationFailed(
            [{"loc": ["body", k], "msg": "Valeur obligatoire."} for k, v in changes.items() if v is None]
        )
    user = uow.users.get_for_update(uuid.UUID(caller.id))
    if user is None or user.status == "erased":
        raise NotFound("Compte introuvable.")
    if "topics" in changes:
        changes["topics"] = list(dict.fromkeys(changes["topics"]))
    for field, value in changes.items():
        setattr(user, field, value)
    user.version += 1
    uow.record(ProfileUpdatedV2(user_id=caller.id, display_name=user.display_name, topics=list(user.topics), updated_at=now, member_version=user.version))
    uow.commit()
    return me_view(user)


def erase_me(uow, caller: Caller, tokens: TokenIssuer, now: datetime) -> None:
    """The right to erasure: the account's personal data is gone from here
    now, and from every other service when they handle identity.user_erased."""
    caller.require_user()
    user = uow.users.get_for_update(uuid.UUID(caller.id))
    if user is None or user.status == "erased":
        raise NotFound("Compte introuvable.")
    user.status = "erased"
    user.erased_at = now
    user.email = f"erased-{user.id}@invalid"  # keeps the column unique; the address is gone
    user.password_hash = ""
    user.display_name = domain.ERASED_DISPLAY_NAME
    user.bio = ""
    user.topics = []
    user.organization = None
    user.suspended_until = None
    user.version += 1
    uow.refresh_tokens.revoke_all_of(user.id, now)
    uow.forget_published_events()  # the sent user_registered carried the address
    uow.record(UserErasedV2(user_id=caller.id, erased_at=now, member_version=user.version))
    uow.record(AccessRevoked(user_id=caller.id, session_id=None, reason="erased", until=None, revoked_at=now))
    uow.commit()


def export_user_data(uow, caller: Caller) -> dict:
    caller.require_user()
    user = uow.users.get(uuid.UUID(caller.id))
    if user is None or user.status == "erased":
        raise NotFound("Compte introuvable.")
    return {
        "account": {**me_view(user), "organization": user.organization, "status": user.status},
        "logins": [
            {
                "started_at": t.created_at.isoformat() if t.created_at else None,
                "expires_at": t.expires_at.isoformat(),
                "used_at": t.used_at.isoformat() if t.used_at else None,
                "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
            }
            for t in uow.refresh_tokens.of_user(user.id)
        ],
    }


def apply_sanction(uow, event: SanctionImposed, now: datetime) -> None:
    """A suspension stops logins and, through the gateway, every request."""
    if event.type != "suspend":
        return
    user = uow.users.get_for_update(uuid.UUID(event.user_id))
    if user is None or user.status == "erased":
        return
    user.status = "suspended"
    user.suspended_until = event.expires_at
    user.version += 1
    uow.record(
        AccessRevoked(user_id=event.user_id, session_id=None, reason="suspended", until=event.expires_at, revoked_at=now)
    )


def lift_sanction(uow, event: SanctionLifted, now: datetime) -> None:
    if event.type != "suspend":
        return
    user = uow.users.get_for_update(uuid.UUID(event.user_id))
    if user is None or user.status != "suspended":
        return
    user.status = "active"
    user.suspended_until = None
    user.version += 1
    uow.record(AccessRestored(user_id=event.user_id, restored_at=now))


def access_blocks(uow, tokens: TokenIssuer, now: datetime) -> dict:
    """What a gateway replica must refuse right now, loaded when it starts;
    afterwards it follows identity.access_revoked / access_restored events.
    Erasures and revoked logins matter only while their access tokens live."""
    since = now - tokens.access_ttl
    return {
        "users": [
            {"user_id": str(u.id), "until": u.suspended_until.isoformat() if u.suspended_until else None}
            for u in uow.users.suspended(now)
        ]
        + [{"user_id": str(u.id), "until": None} for u in uow.users.erased_since(since)],
        "sessions": [
            {"session_id": str(family), "until": (now + tokens.access_ttl).isoformat()}
            for family in uow.refresh_tokens.revoked_families_since(since)
        ],
    }


def seed(uow, agencies: list[dict], admin_email: str, admin_password: str, hasher, now: datetime) -> dict:
    """Pilot data, idempotent: what exists is kept as it is."""
    added = 0
    for a in agencies:
        if not uow.agencies.get(a["code"]):
            uow.agencies.add(Agency(code=a["code"], name=a["name"], region=a["region"]))
            uow.record(AgencyCreated(code=a["code"], name=a["name"], region=a["region"], created_at=now))
            added += 1
    email = domain.normalize_email(admin_email, loc="PLATFORM_ADMIN_EMAIL")
    admin_created = False
    if uow.users.by_email(email) is None:
        admin = User(
            id=uuid.uuid4(), email=email, password_hash=hasher.hash(admin_password), display_name="Équipe nationale",
            role="admin", agency_code=None, organization=None, bio="", topics=[], status="active", created_at=now,
            version=1,
        )
        uow.users.add(admin)
        uow.record(UserRegisteredV2(user_id=str(admin.id), email=admin.email, display_name=admin.display_name, role="admin", agency_code=None, registered_at=now, member_version=admin.version))
        admin_created = True
    uow.commit()
    return {"agencies_added": added, "admin_created": admin_created}
