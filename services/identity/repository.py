"""identity's unit of work and data access."""
from sqlalchemy import delete, func, select, tuple_, update

from services.identity.models import (
    Agency, AuthToken, Email, Invitation, LoginFailure, LoginSession, RefreshToken, User,
)
from shared.db.locks import lock_keys
from shared.db.unit_of_work import SqlUnitOfWork


class IdentityUnitOfWork(SqlUnitOfWork):
    def _start(self):
        self.agencies = AgencyRepository(self.session)
        self.users = UserRepository(self.session)
        self.invitations = InvitationRepository(self.session)
        self.refresh_tokens = RefreshTokenRepository(self.session)
        self.login_failures = LoginFailureRepository(self.session)
        self.sessions = LoginSessionRepository(self.session)
        self.auth_tokens = AuthTokenRepository(self.session)
        self.emails = EmailRepository(self.session)


class AgencyRepository:
    def __init__(self, session):
        self.session = session

    def all(self) -> list[Agency]:
        return list(self.session.scalars(select(Agency).order_by(Agency.region, Agency.name)))

    def get(self, code: str) -> Agency | None:
        return self.session.get(Agency, code)

    def add(self, agency: Agency) -> None:
        self.session.add(agency)
        self.session.flush()


class UserRepository:
    def __init__(self, session):
        self.session = session

    def get(self, user_id) -> User | None:
        return self.session.get(User, user_id)

    def by_email(self, email: str) -> User | None:
        return self.session.scalar(select(User).where(User.email == email))

    def add(self, user: User) -> None:
        self.session.add(user)
        self.session.flush()

    def get_for_update(self, user_id) -> User | None:
        return self.session.get(User, user_id, with_for_update=True)

    def suspended(self, now) -> list[User]:
        return list(
            self.session.scalars(
                select(User).where(
                    User.status == "suspended",
                    (User.suspended_until.is_(None)) | (User.suspended_until > now),
                )
            )
        )

    def to_warn(self, inactive_since, limit: int) -> list[User]:
        """Accounts inactive since before `inactive_since`, not yet warned;
        locked, and skipped by another replica's sweep."""
        return list(
            self.session.scalars(
                select(User).where(User.status != "erased", User.inactivity_warned_at.is_(None),
                                   User.last_active_at < inactive_since)
                .order_by(User.last_active_at).limit(limit).with_for_update(skip_locked=True)
            )
        )

    def to_erase(self, warned_before, limit: int) -> list[User]:
        """Accounts warned before `warned_before` and inactive since."""
        return list(
            self.session.scalars(
                select(User).where(User.status != "erased", User.inactivity_warned_at < warned_before,
                                   User.last_active_at <= User.inactivity_warned_at)
                .order_by(User.inactivity_warned_at).limit(limit).with_for_update(skip_locked=True)
            )
        )

    def erased_since(self, since) -> list[User]:
        return list(self.session.scalars(select(User).where(User.status == "erased", User.erased_at > since)))


class InvitationRepository:
    def __init__(self, session):
        self.session = session

    def add(self, invitation: Invitation) -> None:
        self.session.add(invitation)
        self.session.flush()

    def get_for_update(self, code: str) -> Invitation | None:
        # Row lock: two registrations racing for the last use cannot both win.
        return self.session.scalar(select(Invitation).where(Invitation.code == code).with_for_update())

    def page(self, agency_code: str | None, active_at, after: tuple | None, limit: int) -> list[Invitation]:
        """Newest first; `agency_code` None: every agency; `active_at`: only
        those still usable then. `limit + 1` rows tell a next page."""
        query = select(Invitation)
        if agency_code is not None:
            query = query.where(Invitation.agency_code == agency_code)
        if active_at is not None:
            query = query.where(
                Invitation.revoked_at.is_(None), Invitation.uses < Invitation.max_uses, Invitation.expires_at > active_at
            )
        if after is not None:
            query = query.where(tuple_(Invitation.created_at, Invitation.code) < tuple_(*after))
        query = query.order_by(Invitation.created_at.desc(), Invitation.code.desc()).limit(limit + 1)
        return list(self.session.scalars(query))

    def addressed_to(self, email: str) -> list[Invitation]:
        return list(self.session.scalars(select(Invitation).where(Invitation.email == email)
                                         .order_by(Invitation.created_at)))

    def forget_address(self, email: str, now) -> None:
        """Erasure: invitations addressed to `email` lose the address and are
        closed (an addressed invitation without its address would be open to anyone)."""
        self.session.execute(
            update(Invitation).where(Invitation.email == email)
            .values(email=None, expires_at=func.least(Invitation.expires_at, now))
        )


class RefreshTokenRepository:
    def __init__(self, session):
        self.session = session

    def add(self, token: RefreshToken) -> None:
        self.session.add(token)
        self.session.flush()

    def get_for_update(self, token_hash: str) -> RefreshToken | None:
        return self.session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update())

    def revoke_family(self, family_id, now) -> None:
        self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    def revoke_all_of(self, user_id, now) -> None:
        self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    def revoked_families_since(self, since) -> list:
        return list(
            self.session.scalars(select(RefreshToken.family_id).where(RefreshToken.revoked_at > since).distinct())
        )

    def of_user(self, user_id) -> list[RefreshToken]:
        return list(self.session.scalars(select(RefreshToken).where(RefreshToken.user_id == user_id)))


class LoginFailureRepository:
    def __init__(self, session):
        self.session = session

    def lock(self, keys: list[str]) -> None:
        """Serialise the attempts on these counters until the transaction
        ends: a transaction-scoped advisory lock per key (a counter has no row
        to lock before its first failure), taken in one order so two attempts
        never deadlock."""
        lock_keys(self.session.connection(), keys)

    def times(self, key: str, since) -> list:
        return list(
            self.session.scalars(
                select(LoginFailure.failed_at).where(LoginFailure.key == key, LoginFailure.failed_at > since)
            )
        )

    def add(self, key: str, at) -> int:
        row = LoginFailure(key=key, failed_at=at)
        self.session.add(row)
        self.session.flush()
        return row.id

    def release(self, ids: list[int]) -> None:
        """Take back attempts counted in advance that turned out right."""
        self.session.execute(delete(LoginFailure).where(LoginFailure.id.in_(ids)))

    def clear(self, key: str) -> None:
        self.session.execute(delete(LoginFailure).where(LoginFailure.key == key))

    def purge_before(self, before) -> None:
        self.session.execute(delete(LoginFailure).where(LoginFailure.failed_at < before))


class LoginSessionRepository:
    def __init__(self, session):
        self.session = session

    def add(self, login: LoginSession) -> None:
        self.session.add(login)
        self.session.flush()

    def get(self, session_id) -> LoginSession | None:
        return self.session.get(LoginSession, session_id)

    def live_page(self, user_id, now, used_since, after: tuple | None, limit: int) -> list[LoginSession]:
        """Logins still usable (not ended, not past their end, refreshed
        recently enough), newest first; `limit + 1` rows tell a next page."""
        query = select(LoginSession).where(
            LoginSession.user_id == user_id,
            LoginSession.revoked_at.is_(None),
            LoginSession.expires_at > now,
            LoginSession.last_used_at > used_since,
        )
        if after is not None:
            query = query.where(tuple_(LoginSession.created_at, LoginSession.id) < tuple_(*after))
        query = query.order_by(LoginSession.created_at.desc(), LoginSession.id.desc()).limit(limit + 1)
        return list(self.session.scalars(query))

    def live_ids_of(self, user_id, now) -> list:
        return list(
            self.session.scalars(
                select(LoginSession.id).where(
                    LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None), LoginSession.expires_at > now
                )
            )
        )

    def revoke(self, session_id, now) -> None:
        self.session.execute(
            update(LoginSession)
            .where(LoginSession.id == session_id, LoginSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    def delete_of(self, user_id) -> None:
        self.session.execute(delete(LoginSession).where(LoginSession.user_id == user_id))

    def purge_ended_before(self, before) -> None:
        """Logins over for a while go, with their refresh tokens and user agents."""
        ended = select(LoginSession.id).where(
            (LoginSession.expires_at < before) | (LoginSession.revoked_at < before) | (LoginSession.last_used_at < before)
        )
        self.session.execute(delete(RefreshToken).where(RefreshToken.family_id.in_(ended)))
        self.session.execute(delete(LoginSession).where(LoginSession.id.in_(ended)))

    def of_user(self, user_id) -> list[LoginSession]:
        return list(
            self.session.scalars(select(LoginSession).where(LoginSession.user_id == user_id).order_by(LoginSession.created_at))
        )


class AuthTokenRepository:
    def __init__(self, session):
        self.session = session

    def add(self, token: AuthToken) -> None:
        self.session.add(token)
        self.session.flush()

    def get_for_update(self, token_hash: str) -> AuthToken | None:
        # Row lock: the same link opened twice at once works once.
        return self.session.scalar(select(AuthToken).where(AuthToken.token_hash == token_hash).with_for_update())

    def spend_all_of(self, user_id, purpose: str, now) -> None:
        self.session.execute(
            update(AuthToken)
            .where(AuthToken.user_id == user_id, AuthToken.purpose == purpose, AuthToken.used_at.is_(None))
            .values(used_at=now)
        )

    def purge_before(self, before) -> None:
        self.session.execute(delete(AuthToken).where(AuthToken.expires_at < before))


class EmailRepository:
    def __init__(self, session):
        self.session = session

    def add(self, email: Email) -> None:
        self.session.add(email)
        self.session.flush()

    def claim_next(self, now) -> Email | None:
        """The next e-mail due, locked; another replica skips it."""
        return self.session.scalars(
            select(Email).where(Email.status == "pending", Email.next_attempt_at <= now)
            .order_by(Email.next_attempt_at).limit(1).with_for_update(skip_locked=True)
        ).first()

    def of_user(self, user_id) -> list[Email]:
        return list(self.session.scalars(select(Email).where(Email.user_id == user_id).order_by(Email.created_at)))

    def delete_of(self, user_id) -> None:
        self.session.execute(delete(Email).where(Email.user_id == user_id))

    def purge_done_before(self, before) -> None:
        self.session.execute(delete(Email).where(Email.status != "pending", Email.created_at < before))
