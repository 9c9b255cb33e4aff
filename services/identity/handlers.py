"""identity's use cases: plain functions over a unit of work.

Collaborators with I/O or heavy CPU (the password hasher, the token issuer,
the clock) are passed in, so unit tests run them without nameko or a database.
"""
import secrets
import uuid
from datetime import datetime, timedelta

from services.identity import domain, emails, metrics
from services.identity.models import AuthToken, Agency, Email, Invitation, LoginSession, RefreshToken, User
from services.identity.settings import IdentitySettings
from services.identity.tokens import TokenIssuer, hash_link_token, hash_refresh_token, new_refresh_token
from shared.api.base import Page
from shared.api.identity import (
    AgencyIn, EmailIn, EmailLinkConfirmIn, InvitationIn, InvitationQuery, LoginIn, PasswordChangeIn,
    PasswordResetConfirmIn, ProfileIn, RefreshIn, RegisterIn,
)
from shared.caller import Caller
from shared.contracts.identity import (
    AccessRestored,
    AccessRevoked,
    AgencyCreated,
    ProfileSubmitted,
    ProfileUpdatedV2,
    UserErasedV2,
    UserRegisteredV2,
)
from shared.contracts.moderation import SanctionImposed, SanctionLifted, TextDecided, TextScreened
from shared.errors import BadRequest, Conflict, Forbidden, NotFound, TooManyRequests, Unauthorized, ValidationFailed
from shared import backoff, paging
from shared.mail import DeliveryFailed, build_message, gives_up, mail_domain
from shared.validation import parse

WRONG_CREDENTIALS = "Adresse e-mail ou mot de passe incorrect."


def agency_view(a: Agency) -> dict:
    return {"code": a.code, "name": a.name, "region": a.region}


def own_display_name(u: User) -> str:
    """The name a member sees of themselves (and is greeted by in e-mails to
    them alone): the one they submitted last, screened or not."""
    return u.pending_display_name if u.pending_display_name is not None else u.display_name


def me_view(u: User) -> dict:
    """What the member sees of themselves: the texts they submitted last, even
    while moderation screens them (`profile_moderation` says so)."""
    return {
        "id": str(u.id),
        "email": u.email,
        "display_name": own_display_name(u),
        "role": u.role,
        "agency_code": u.agency_code,
        "bio": u.pending_bio if u.pending_bio is not None else u.bio,
        "topics": list(u.topics or []),
        "created_at": u.created_at.isoformat() if u.created_at else None,
        "profile_moderation": u.profile_moderation,
    }


def public_view(u: User) -> dict:
    """What others see: the last name and bio moderation found clean."""
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
        created_at=now,
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


INVITATIONS_LIST = "identity.invitations"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def invitation_item(inv: Invitation, now: datetime) -> dict:
    return {
        "code": inv.code,
        "role": inv.role,
        "agency_code": inv.agency_code,
        "organization": inv.organization,
        "email": inv.email,
        "uses": inv.uses,
        "max_uses": inv.max_uses,
        "expires_at": inv.expires_at.isoformat(),
        "revoked_at": _iso(inv.revoked_at),
        "created_by": str(inv.created_by) if inv.created_by else None,
        "created_at": _iso(inv.created_at),
        "active": domain.invitation_usable(inv.uses, inv.max_uses, inv.expires_at, now, inv.revoked_at),
    }


def list_invitations(uow, caller: Caller, query: dict, now: datetime) -> dict:
    """An advisor's agency's invitations, or every one for an admin; newest first."""
    agency_code = domain.invitations_scope(caller)
    q = parse(InvitationQuery, query)
    after = paging.decode(q.cursor, INVITATIONS_LIST, (datetime, str))
    rows = uow.invitations.page(agency_code, now if q.active else None, after, q.limit)
    return {
        "items": [invitation_item(inv, now) for inv in rows[: q.limit]],
        "next_cursor": paging.next_cursor(INVITATIONS_LIST, rows, q.limit, lambda i: (i.created_at, i.code)),
    }


def revoke_invitation(uow, caller: Caller, code: str, now: datetime) -> None:
    """Registering with a revoked invitation answers 403 like a used one.
    Revoking it again is a no-op."""
    caller.require_role("advisor", "admin")
    invitation = uow.invitations.get_for_update(str(code))
    visible = invitation is not None and (caller.role == "admin" or invitation.agency_code == caller.agency_code)
    creator = uow.users.get(invitation.created_by) if invitation is not None and invitation.created_by else None
    creator_agency = creator.agency_code if creator is not None else None
    if not domain.may_revoke_invitation(caller, creator_agency) or invitation is None:
        if visible:
            raise Forbidden("Seuls l'équipe nationale et les conseillers de l'agence qui l'a créée peuvent révoquer cette invitation.")
        raise NotFound("Invitation introuvable.")
    if invitation.revoked_at is None:
        invitation.revoked_at = now
        uow.commit()


def register(uow, data: dict, hasher, common_passwords: frozenset[str], now: datetime) -> dict:
    reg = parse(RegisterIn, data)
    email = domain.normalize_email(reg.email)
    problems = domain.password_problems(reg.password, common_passwords)
    if problems:
        raise ValidationFailed([{"loc": ["body", "password"], "msg": p} for p in problems])
    invitation = uow.invitations.get_for_update(reg.invitation_code)
    if invitation is None or not domain.invitation_usable(
        invitation.uses, invitation.max_uses, invitation.expires_at, now, invitation.revoked_at
    ):
        raise Forbidden(domain.INVITATION_REFUSED)
    if invitation.email and invitation.email != email:
        raise Forbidden(domain.INVITATION_REFUSED)
    domain.check_display_name(reg.display_name, invitation.role)  # the role comes from the invitation
    if uow.users.by_email(email):
        raise Conflict("Cette adresse e-mail est déjà utilisée.")
    typed = reg.display_name.strip()
    # The typed name is screened like a profile edit (issue 13): others see a
    # neutral name until moderation finds it clean or a person approves it;
    # the member sees what they typed, with its moderation status.
    user = User(
        id=uuid.uuid4(),
        email=email,
        password_hash=hasher.hash(reg.password),
        display_name=domain.UNSCREENED_DISPLAY_NAME,
        pending_display_name=typed,
        pending_bio="",
        profile_moderation=domain.PROFILE_PENDING,
        role=invitation.role,
        agency_code=invitation.agency_code,
        organization=invitation.organization,
        bio="",
        topics=[],
        status="active",
        created_at=now,
        last_active_at=now,
        version=1,
        profile_text_version=1,
    )
    invitation.uses += 1
    uow.users.add(user)
    uow.record(UserRegisteredV2(user_id=str(user.id), email=user.email, display_name=user.display_name, role=user.role, agency_code=user.agency_code, registered_at=now, member_version=user.version))
    uow.record(ProfileSubmitted(user_id=str(user.id), agency_code=user.agency_code, text_version=user.profile_text_version,
                                display_name=typed, bio="", submitted_at=now))
    uow.commit()
    return {"id": str(user.id), "email": user.email, "display_name": typed, "role": user.role, "agency_code": user.agency_code}


def _issue_pair(uow, user: User, tokens: TokenIssuer, login: LoginSession, now: datetime) -> dict:
    """A token pair of `login`; neither token outlives the login's end."""
    refresh = new_refresh_token()
    uow.refresh_tokens.add(
        RefreshToken(
            token_hash=hash_refresh_token(refresh),
            family_id=login.id,
            user_id=user.id,
            expires_at=min(now + tokens.refresh_ttl, login.expires_at),
        )
    )
    access_expires = min(now + tokens.access_ttl, login.expires_at)
    return {
        "access_token": tokens.access_token(str(user.id), user.role, user.agency_code, login.id, now, login.expires_at),
        "refresh_token": refresh,
        "token_type": "bearer",
        "expires_in": max(1, int((access_expires - now).total_seconds())),
    }


def _record_activity(user: User, now: datetime) -> None:
    """A sign-in or a refresh: the account is in use (and a warned one is kept)."""
    if domain.should_record_activity(user.last_active_at, user.inactivity_warned_at, now):
        user.last_active_at = now
        user.inactivity_warned_at = None


def _start_session(uow, user: User, tokens: TokenIssuer, now: datetime, user_agent: str | None) -> dict:
    """A new login of `user` and its first token pair."""
    login = LoginSession(
        id=uuid.uuid4(), user_id=user.id, created_at=now, last_used_at=now, expires_at=now + tokens.login_ttl,
        user_agent=domain.clean_user_agent(user_agent), revoked_at=None,
    )
    uow.sessions.add(login)
    return _issue_pair(uow, user, tokens, login, now)


TOO_MANY_ATTEMPTS = "Trop de tentatives de connexion. Réessayez dans quelques minutes."


def _reserve_attempt(uow, keys: list[tuple[str, int]], now: datetime) -> list[int]:
    """Count the attempt as a failure before the password is checked, under a
    lock per counter, and commit: parallel attempts cannot all pass the check
    before any is counted, so no more than the limit are ever evaluated. A
    right password takes its rows back. 429 past a limit."""
    uow.login_failures.lock([key for key, _ in keys])
    for key, limit in keys:
        wait = domain.retry_after_seconds(uow.login_failures.times(key, now - domain.LOGIN_WINDOW), limit, now)
        if wait is not None:
            raise TooManyRequests(TOO_MANY_ATTEMPTS, wait)  # the unit of work rolls back: locks released
    reserved = [uow.login_failures.add(key, now) for key, _ in keys]
    uow.commit()
    return reserved


def login(uow, data: dict, hasher, tokens: TokenIssuer, now: datetime, client_key: str | None = None,
          user_agent: str | None = None) -> dict:
    """A password login. The answer carries a device token (OWASP's device
    cookies): sent back with a later login of the same account, it spares
    that device the account's lockout (it has its own small limit)."""
    creds = parse(LoginIn, data)
    email = domain.lookup_email(creds.email)
    user = uow.users.by_email(email)
    device = tokens.device_of(creds.device_token, user.id if user else None, now)
    keys = domain.throttle_keys(email, client_key, device)
    reserved = _reserve_attempt(uow, keys, now)
    # Verify against a dummy hash for an unknown e-mail: same answer, same time.
    valid = hasher.verify(user.password_hash if user and user.password_hash else hasher.dummy_hash, creds.password)
    # A suspended member gets exactly the wrong-password answer (and counts as
    # a failure): no answer tells whether a password is right.
    if not user or not valid or user.status == "erased" or domain.is_suspended(user.status, user.suspended_until, now):
        raise Unauthorized(WRONG_CREDENTIALS)  # the attempt stays counted
    uow.login_failures.release(reserved)
    uow.login_failures.clear(keys[0][0])
    if hasher.needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(creds.password)
    _record_activity(user, now)
    pair = _start_session(uow, user, tokens, now, user_agent)
    pair["device_token"] = tokens.device_token(str(user.id), now)
    uow.commit()
    return pair


def _revoke_session(uow, family_id, tokens: TokenIssuer, now: datetime) -> None:
    """Refresh tokens of the login die now; its access tokens at the gateway, by event."""
    uow.refresh_tokens.revoke_family(family_id, now)
    uow.sessions.revoke(family_id, now)
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
    login = uow.sessions.get(stored.family_id)
    if login is None or login.revoked_at is not None or login.expires_at <= now:
        raise Unauthorized("Session expirée : reconnectez-vous.")
    stored.used_at = stored.used_at or now
    login.last_used_at = now
    _record_activity(user, now)
    pair = _issue_pair(uow, user, tokens, login, now)
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


def session_view(login: LoginSession, current_id: str | None) -> dict:
    return {
        "id": str(login.id),
        "created_at": login.created_at.isoformat(),
        "last_used_at": login.last_used_at.isoformat(),
        "expires_at": login.expires_at.isoformat(),
        "user_agent": login.user_agent,
        "current": str(login.id) == current_id,
    }


SESSIONS_LIST = "identity.sessions"


def list_sessions(uow, caller: Caller, query: dict, tokens: TokenIssuer, now: datetime) -> dict:
    """The caller's logins still usable, newest first; `current` marks the
    one the call comes from."""
    caller.require_user()
    page = parse(Page, query)
    limit = page.limit
    after = paging.decode(page.cursor, SESSIONS_LIST, (datetime, uuid.UUID))
    rows = uow.sessions.live_page(uuid.UUID(caller.id), now, now - tokens.refresh_ttl, after, limit)
    return {
        "items": [session_view(login, caller.session_id) for login in rows[:limit]],
        "next_cursor": paging.next_cursor(SESSIONS_LIST, rows, limit, lambda r: (r.created_at, r.id)),
    }


def end_session(uow, caller: Caller, session_id: str, tokens: TokenIssuer, now: datetime) -> None:
    """Ends one of the caller's logins: its refresh tokens now, its access
    tokens at the gateway (identity.access_revoked). Ending an ended one is
    a no-op; someone else's is unknown (404)."""
    caller.require_user()
    try:
        key = uuid.UUID(str(session_id))
    except ValueError:
        raise NotFound("Session introuvable.") from None
    login = uow.sessions.get(key)
    if login is None or str(login.user_id) != caller.id:
        raise NotFound("Session introuvable.")
    if login.revoked_at is None:
        _revoke_session(uow, login.id, tokens, now)
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
    changes = parse(ProfileIn, data).model_dump(exclude_unset=True)  # a null is refused there
    user = uow.users.get_for_update(uuid.UUID(caller.id))
    if user is None or user.status == "erased":
        raise NotFound("Compte introuvable.")
    if "topics" in changes:
        changes["topics"] = list(dict.fromkeys(changes["topics"]))
    if "display_name" in changes:
        domain.check_display_name(changes["display_name"], user.role)
    if "topics" in changes:  # topics are chosen from a list: nothing to screen
        user.topics = changes["topics"]
        user.version += 1
        uow.record(ProfileUpdatedV2(user_id=caller.id, display_name=user.display_name, topics=list(user.topics),
                                    updated_at=now, member_version=user.version))
    submitted = domain.profile_submission((user.display_name, user.bio or ""),
                                          (user.pending_display_name, user.pending_bio), changes)
    if submitted is not None:
        # Others keep seeing the previous clean texts until moderation's verdict (issue 13).
        user.pending_display_name, user.pending_bio = submitted
        user.profile_text_version = (user.profile_text_version or 0) + 1
        user.profile_moderation = domain.PROFILE_PENDING
        uow.record(ProfileSubmitted(user_id=caller.id, agency_code=user.agency_code,
                                    text_version=user.profile_text_version, display_name=submitted[0],
                                    bio=submitted[1], submitted_at=now))
    uow.commit()
    return me_view(user)


def profile_verdict(uow, event: TextScreened | TextDecided, now: datetime) -> None:
    """Moderation's verdict on a submitted name and bio: published (clean, or
    approved by a person), still held, or refused (the texts are dropped; the
    public ones stay)."""
    if event.target_type != "profile":
        return
    user = uow.users.get_for_update(uuid.UUID(event.target_id))
    if user is None or user.status == "erased":
        return
    if not domain.verdict_applies(event.text_version, user.profile_text_version, user.profile_moderation):
        return
    after = domain.profile_after_verdict(event.verdict)
    if after is None:
        user.display_name, user.bio = user.pending_display_name, user.pending_bio
        user.version += 1
        uow.record(ProfileUpdatedV2(user_id=str(user.id), display_name=user.display_name, topics=list(user.topics or []),
                                    updated_at=now, member_version=user.version))
    if after != domain.PROFILE_HELD:
        user.pending_display_name = user.pending_bio = None
    user.profile_moderation = after


def erase_me(uow, caller: Caller, tokens: TokenIssuer, now: datetime) -> None:
    """The right to erasure: the account's personal data is gone from here
    now, and from every other service when they handle identity.user_erased."""
    caller.require_user()
    user = uow.users.get_for_update(uuid.UUID(caller.id))
    if user is None or user.status == "erased":
        raise NotFound("Compte introuvable.")
    _erase(uow, user, now)
    uow.commit()


def _erase(uow, user: User, now: datetime) -> None:
    user.status = "erased"
    user.erased_at = now
    uow.invitations.forget_address(user.email, now)
    user.email = f"erased-{user.id}@invalid"  # keeps the column unique; the address is gone
    user.password_hash = ""
    user.display_name = domain.ERASED_DISPLAY_NAME
    user.bio = ""
    user.pending_display_name = user.pending_bio = user.profile_moderation = None
    user.topics = []
    user.organization = None
    user.suspended_until = None
    user.inactivity_warned_at = None
    user.version += 1
    uow.refresh_tokens.revoke_all_of(user.id, now)
    uow.sessions.delete_of(user.id)  # with their user agents
    uow.emails.delete_of(user.id)  # with the address
    uow.forget_published_events()  # the sent user_registered carried the address
    uow.record(UserErasedV2(user_id=str(user.id), erased_at=now, member_version=user.version))
    uow.record(AccessRevoked(user_id=str(user.id), session_id=None, reason="erased", until=None, revoked_at=now))


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
        "sessions": [session_view(login, caller.session_id) for login in uow.sessions.of_user(user.id)],
        # The invitations sent to the member's address (the code is left out: it is a credential).
        "invitations": [
            {
                "email": i.email, "role": i.role, "agency_code": i.agency_code, "organization": i.organization,
                "uses": i.uses, "max_uses": i.max_uses, "expires_at": i.expires_at.isoformat(),
                "created_at": i.created_at.isoformat() if i.created_at else None,
            }
            for i in uow.invitations.addressed_to(user.email)
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
            last_active_at=now, version=1,
        )
        uow.users.add(admin)
        uow.record(UserRegisteredV2(user_id=str(admin.id), email=admin.email, display_name=admin.display_name, role="admin", agency_code=None, registered_at=now, member_version=admin.version))
        admin_created = True
    uow.commit()
    return {"agencies_added": added, "admin_created": admin_created}


# ---------------------------------------------------------------- passwords and links

LINK_REFUSED = "Ce lien n'est plus valable (déjà utilisé, expiré ou inconnu) : demandez-en un nouveau."
WRONG_CURRENT_PASSWORD = "Le mot de passe actuel est incorrect."


def _check_password(password: str, common_passwords: frozenset[str], field: str) -> None:
    problems = domain.password_problems(password, common_passwords)
    if problems:
        raise ValidationFailed([{"loc": ["body", field], "msg": p} for p in problems])


def queue_email(uow, user: User, kind: str, rendered: emails.Rendered, now: datetime, config: IdentitySettings,
                expires_at: datetime | None = None) -> Email:
    """An e-mail committed with what caused it; the sender loop sends it."""
    email_id = uuid.uuid4()
    email = Email(
        id=email_id, user_id=user.id, kind=kind, message_id=f"<identity.{kind}.{email_id}@{mail_domain(config.smtp_from)}>",
        to_address=user.email, subject=rendered.subject, text_body=rendered.text, html_body=rendered.html,
        status="pending", attempts=0, next_attempt_at=now, expires_at=expires_at, created_at=now,
    )
    uow.emails.add(email)
    return email


def _end_sessions(uow, user: User, tokens: TokenIssuer, now: datetime, keep: str | None = None) -> None:
    """Every login of `user` but `keep` ends: refresh tokens now, access
    tokens at the gateway (one access_revoked per login)."""
    for session_id in uow.sessions.live_ids_of(user.id, now):
        if str(session_id) != keep:
            _revoke_session(uow, session_id, tokens, now)


def _set_password(uow, user: User, password: str, hasher, tokens: TokenIssuer, now: datetime,
                  config: IdentitySettings, keep_session: str | None = None) -> None:
    user.password_hash = hasher.hash(password)
    _end_sessions(uow, user, tokens, now, keep=keep_session)
    uow.auth_tokens.spend_all_of(user.id, "password_reset", now)
    uow.login_failures.clear(f"email:{user.email}")
    queue_email(uow, user, "password_changed", emails.password_changed(own_display_name(user)), now, config)


def change_password(uow, caller: Caller, data: dict, hasher, common_passwords: frozenset[str], tokens: TokenIssuer,
                    now: datetime, config: IdentitySettings) -> None:
    """The member proves the current password; every other login ends and
    an e-mail tells them."""
    caller.require_user()
    change = parse(PasswordChangeIn, data)
    user = uow.users.get_for_update(uuid.UUID(caller.id))
    if user is None or user.status == "erased":
        raise NotFound("Compte introuvable.")
    if not hasher.verify(user.password_hash, change.current_password):
        raise Forbidden(WRONG_CURRENT_PASSWORD)
    _check_password(change.new_password, common_passwords, "new_password")
    _set_password(uow, user, change.new_password, hasher, tokens, now, config, keep_session=caller.session_id)
    uow.commit()


def _new_link_token(uow, user: User, purpose: str, lifetime: timedelta, now: datetime) -> tuple[str, datetime]:
    token = secrets.token_urlsafe(32)
    expires_at = now + lifetime
    uow.auth_tokens.add(AuthToken(token_hash=hash_link_token(token), purpose=purpose, user_id=user.id,
                                  expires_at=expires_at, used_at=None, created_at=now))
    return token, expires_at


def _link_user(uow, data: dict) -> User | None:
    """Who an e-mail typed on a public form belongs to, if anyone may get a link."""
    email = domain.lookup_email(parse(EmailIn, data).email)
    user = uow.users.by_email(email)
    return user if user is not None and user.status != "erased" else None


def request_password_reset(uow, data: dict, now: datetime, config: IdentitySettings) -> bool:
    """The same answer whatever the address; when it is a member's, an
    e-mail carries a single-use link. True when an e-mail was queued."""
    user = _link_user(uow, data)
    if user is None:
        return False
    minutes = config.password_reset_minutes
    token, expires_at = _new_link_token(uow, user, "password_reset", timedelta(minutes=minutes), now)
    url = emails.link_with_token(config.password_reset_url, token)
    queue_email(uow, user, "password_reset", emails.password_reset(own_display_name(user), url, round(minutes)), now,
                config, expires_at)
    uow.commit()
    return True


def _link_token(uow, token: str, purpose: str, now: datetime) -> tuple[AuthToken, User]:
    """A link's token still valid (locked), and its member; 400 otherwise."""
    stored = uow.auth_tokens.get_for_update(hash_link_token(token))
    if stored is None or stored.purpose != purpose or stored.used_at is not None or stored.expires_at <= now:
        raise BadRequest(LINK_REFUSED)
    user = uow.users.get_for_update(stored.user_id)
    if user is None or user.status == "erased":
        raise BadRequest(LINK_REFUSED)
    return stored, user


def confirm_password_reset(uow, data: dict, hasher, common_passwords: frozenset[str], tokens: TokenIssuer,
                           now: datetime, config: IdentitySettings) -> None:
    """A new password from the link: every login ends (whoever had the old
    password is out), and an e-mail says so."""
    confirm = parse(PasswordResetConfirmIn, data)
    stored, user = _link_token(uow, confirm.token, "password_reset", now)
    # A weak password leaves the link usable: the member tries another one.
    _check_password(confirm.new_password, common_passwords, "new_password")
    stored.used_at = now
    _set_password(uow, user, confirm.new_password, hasher, tokens, now, config)
    uow.commit()


def request_email_link(uow, data: dict, now: datetime, config: IdentitySettings) -> bool:
    """A single-use sign-in link by e-mail; the same answer whatever the address."""
    user = _link_user(uow, data)
    if user is None or domain.is_suspended(user.status, user.suspended_until, now):
        return False
    minutes = config.email_link_minutes
    token, expires_at = _new_link_token(uow, user, "email_link", timedelta(minutes=minutes), now)
    url = emails.link_with_token(config.email_link_url, token)
    queue_email(uow, user, "email_link", emails.email_link(own_display_name(user), url, round(minutes)), now, config,
                expires_at)
    uow.commit()
    return True


def confirm_email_link(uow, data: dict, tokens: TokenIssuer, now: datetime, user_agent: str | None = None) -> dict:
    """The link's token for the usual token pair, as a password login gives."""
    confirm = parse(EmailLinkConfirmIn, data)
    stored, user = _link_token(uow, confirm.token, "email_link", now)
    if domain.is_suspended(user.status, user.suspended_until, now):
        raise BadRequest(LINK_REFUSED)
    stored.used_at = now
    _record_activity(user, now)
    pair = _start_session(uow, user, tokens, now, user_agent)
    uow.commit()
    return pair


def _close_email(email: Email, status: str, now: datetime) -> None:
    email.status = status
    email.text_body = email.html_body = ""  # links carry tokens: nothing kept once done with
    if status == "sent":
        email.sent_at = now


def send_next_email(uow, transport, now: datetime, config: IdentitySettings) -> str | None:
    """Send the next due e-mail: `sent`, `retry`, `failed` or `expired`;
    None when none is due.

    The claim is committed before the SMTP session (a lease: the row is due
    again EMAIL_LEASE_SECONDS later), so no lock or transaction waits on the
    server. Right after the server's 250 the e-mail is marked sent; it goes
    out twice only if this process dies between the 250 and that commit and
    the lease runs out (with the same Message-ID)."""
    email = uow.emails.claim_next(now)
    if email is None:
        return None
    if email.expires_at is not None and email.expires_at <= now:
        _close_email(email, "expired", now)
        uow.commit()
        metrics.EMAILS_EXPIRED.labels(email.kind).inc()
        return "expired"
    email.attempts += 1
    email.next_attempt_at = now + timedelta(seconds=config.email_lease_seconds)
    uow.commit()
    message = build_message(config.smtp_from, email.to_address, email.subject, email.text_body, email.html_body,
                            email.message_id, now)
    try:
        transport.send(message)
    except Exception as error:  # the server or the network failed: try again later, or give up
        permanent = isinstance(error, DeliveryFailed) and error.permanent
        email.last_error = (error.detail if isinstance(error, DeliveryFailed) else repr(error))[:2000]
        if gives_up(permanent, email.attempts, email.created_at, now, config):
            _close_email(email, "failed", now)
            uow.commit()
            metrics.EMAILS_FAILED.labels(email.kind).inc()
            return "failed"
        delay = backoff.delay(email.attempts, config.email_retry_base_seconds, config.email_retry_max_seconds)
        email.next_attempt_at = now + timedelta(seconds=delay)
        uow.commit()
        metrics.EMAILS_RETRIED.labels(email.kind).inc()
        return "retry"
    email.last_error = None
    _close_email(email, "sent", now)
    uow.commit()
    metrics.EMAILS_SENT.labels(email.kind).inc()
    return "sent"


# ---------------------------------------------------------------- retention

def warn_inactive(uow, now: datetime, config: IdentitySettings) -> int:
    """One batch of accounts inactive for INACTIVITY_WARNING_DAYS gets the
    e-mail saying when they will be erased. Rows are claimed with SKIP
    LOCKED and marked warned in the same transaction as the e-mail: two
    replicas never warn the same member twice."""
    users = uow.users.to_warn(now - timedelta(days=config.inactivity_warning_days), config.retention_batch_size)
    erase_on = now + timedelta(days=config.inactivity_erasure_days)
    for user in users:
        user.inactivity_warned_at = now
        queue_email(uow, user, "inactivity_warning", emails.inactivity_warning(own_display_name(user), erase_on), now,
                    config, expires_at=erase_on)
    uow.commit()
    return len(users)


def erase_inactive(uow, now: datetime, config: IdentitySettings) -> int:
    """One batch of warned accounts with no sign-in since, INACTIVITY_ERASURE_DAYS
    after the warning: erased as by DELETE /v1/me."""
    users = uow.users.to_erase(now - timedelta(days=config.inactivity_erasure_days), config.retention_batch_size)
    for user in users:
        _erase(uow, user, now)
    uow.commit()
    return len(users)
