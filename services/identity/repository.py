"""identity's unit of work and data access."""
from sqlalchemy import delete, func, select, update

from services.identity.models import Agency, Invitation, LoginFailure, RefreshToken, User
from shared.db.unit_of_work import SqlUnitOfWork


class IdentityUnitOfWork(SqlUnitOfWork):
    def _start(self):
        self.agencies = AgencyRepository(self.session)
        self.users = UserRepository(self.session)
        self.invitations = InvitationRepository(self.session)
        self.refresh_tokens = RefreshTokenRepository(self.session)
        self.login_failures = LoginFailureRepository(self.session)


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

    def times(self, key: str, since) -> list:
        return list(
            self.session.scalars(
                select(LoginFailure.failed_at).where(LoginFailure.key == key, LoginFailure.failed_at > since)
            )
        )

    def add(self, key: str, at) -> None:
        self.session.add(LoginFailure(key=key, failed_at=at))

    def clear(self, key: str) -> None:
        self.session.execute(delete(LoginFailure).where(LoginFailure.key == key))

    def purge_before(self, before) -> None:
        self.session.execute(delete(LoginFailure).where(LoginFailure.failed_at < before))
