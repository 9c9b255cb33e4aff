"""identity: agencies, invitations, accounts and tokens (nameko entrypoints only)."""
from datetime import datetime, timezone

from nameko.rpc import rpc
from nameko.timer import timer
from sqlalchemy import text

from services.identity import handlers
from services.identity.domain import LOGIN_WINDOW
from services.identity.passwords import Argon2Hasher, OffLoopHasher, common_passwords
from services.identity.repository import IdentityUnitOfWork
from services.identity.tokens import TokenIssuer
from shared.db.nameko import UnitOfWorkProvider
from shared.errors import EXPECTED_ERRORS
from shared.messaging.consumer import event_handler
from shared.messaging.rpc import CallerProvider
from shared.observability.entrypoints import EntrypointObserver
from shared.settings import get_settings

_hasher = None
_tokens = None


def hasher() -> OffLoopHasher:
    global _hasher
    if _hasher is None:
        _hasher = OffLoopHasher(Argon2Hasher())
    return _hasher


def tokens() -> TokenIssuer:
    global _tokens
    if _tokens is None:
        _tokens = TokenIssuer.from_settings(get_settings())
    return _tokens


def now() -> datetime:
    return datetime.now(timezone.utc)


class IdentityService:
    name = "identity"

    uow = UnitOfWorkProvider("identity", IdentityUnitOfWork)
    caller = CallerProvider()
    observer = EntrypointObserver()

    @rpc
    def health(self):
        with self.uow() as uow:
            uow.session.execute(text("SELECT 1"))
        return {"status": "ok"}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_agencies(self):
        with self.uow() as uow:
            return handlers.list_agencies(uow)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def create_agency(self, data):
        with self.uow() as uow:
            return handlers.create_agency(uow, self.caller, data, now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def create_invitation(self, data):
        with self.uow() as uow:
            return handlers.create_invitation(uow, self.caller, data, now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def register(self, data):
        with self.uow() as uow:
            return handlers.register(uow, data, hasher(), common_passwords(), now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def login(self, data, client_key=None):
        with self.uow() as uow:
            return handlers.login(uow, data, hasher(), tokens(), now(), client_key)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def refresh(self, data):
        with self.uow() as uow:
            return handlers.refresh(uow, data, tokens(), now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def logout(self, data):
        with self.uow() as uow:
            return handlers.logout(uow, self.caller, data, tokens(), now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_me(self):
        with self.uow() as uow:
            return handlers.get_me(uow, self.caller)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_user(self, user_id):
        with self.uow() as uow:
            return handlers.get_user(uow, self.caller, user_id)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def update_me(self, data):
        with self.uow() as uow:
            return handlers.update_me(uow, self.caller, data, now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def erase_me(self):
        with self.uow() as uow:
            return handlers.erase_me(uow, self.caller, tokens(), now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def export_user_data(self):
        with self.uow() as uow:
            return handlers.export_user_data(uow, self.caller)

    @rpc
    def access_blocks(self):
        with self.uow() as uow:
            return handlers.access_blocks(uow, tokens(), now())

    @event_handler("moderation", "sanction_imposed")
    def on_sanction_imposed(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                handlers.apply_sanction(uow, event, now())

    @event_handler("moderation", "sanction_lifted")
    def on_sanction_lifted(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                handlers.lift_sanction(uow, event, now())

    @timer(interval=3600)
    def forget_old_login_failures(self):
        """Failed logins only matter inside the rate-limit window."""
        with self.uow() as uow:
            uow.login_failures.purge_before(now() - 2 * LOGIN_WINDOW)
            uow.commit()
