"""identity: agencies, invitations, accounts and tokens (nameko entrypoints only)."""
from nameko.timer import timer

from services.identity import handlers
from services.identity.domain import LOGIN_WINDOW
from services.identity.passwords import Argon2Hasher, OffLoopHasher, common_passwords
from services.identity.repository import IdentityUnitOfWork
from services.identity.tokens import TokenIssuer
from shared.chassis import Collaborator, Service, handles, rpc
from shared.errors import EXPECTED_ERRORS
from shared.settings import get_settings


class IdentityService(Service):
    name = "identity"
    unit_of_work = IdentityUnitOfWork

    hasher = Collaborator(lambda: OffLoopHasher(Argon2Hasher()))
    tokens = Collaborator(lambda: TokenIssuer.from_settings(get_settings()))
    common_passwords = Collaborator(common_passwords)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_agencies(self):
        return handlers.list_agencies(self.uow)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def create_agency(self, data):
        return handlers.create_agency(self.uow, self.caller, data, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def create_invitation(self, data):
        return handlers.create_invitation(self.uow, self.caller, data, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def register(self, data):
        return handlers.register(self.uow, data, self.hasher, self.common_passwords, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def login(self, data, client_key=None):
        return handlers.login(self.uow, data, self.hasher, self.tokens, self.now(), client_key)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def refresh(self, data):
        return handlers.refresh(self.uow, data, self.tokens, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def logout(self, data):
        return handlers.logout(self.uow, self.caller, data, self.tokens, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_me(self):
        return handlers.get_me(self.uow, self.caller)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_user(self, user_id):
        return handlers.get_user(self.uow, self.caller, user_id)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def update_me(self, data):
        return handlers.update_me(self.uow, self.caller, data, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def erase_me(self):
        return handlers.erase_me(self.uow, self.caller, self.tokens, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def export_user_data(self):
        return handlers.export_user_data(self.uow, self.caller)

    @rpc
    def access_blocks(self):
        return handlers.access_blocks(self.uow, self.tokens, self.now())

    @handles("moderation", "sanction_imposed")
    def on_sanction_imposed(self, event):
        handlers.apply_sanction(self.uow, event, self.now())

    @handles("moderation", "sanction_lifted")
    def on_sanction_lifted(self, event):
        handlers.lift_sanction(self.uow, event, self.now())

    @timer(interval=3600)
    def forget_old_login_failures(self):
        """Failed logins only matter inside the rate-limit window."""
        self.uow.login_failures.purge_before(self.now() - 2 * LOGIN_WINDOW)
        self.uow.commit()
