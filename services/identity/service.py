"""identity: agencies, invitations, accounts and tokens (nameko entrypoints only)."""
from datetime import timedelta

from nameko.timer import timer

from services.identity import handlers
from services.identity.domain import LOGIN_WINDOW
from services.identity.passwords import Argon2Hasher, OffLoopHasher, common_passwords
from services.identity.repository import IdentityUnitOfWork
from services.identity.settings import IdentitySettings
from services.identity.tokens import TokenIssuer
from shared.chassis import Collaborator, Service, creates, handles, rpc
from shared.mail import MailSender
from shared.errors import EXPECTED_ERRORS
from shared.messaging.dead_letter_erasure import remove_parked_mentioning
from shared.settings import get_settings

SETTINGS = get_settings(IdentitySettings)


class IdentityService(Service):
    name = "identity"
    unit_of_work = IdentityUnitOfWork

    hasher = Collaborator(
        lambda: OffLoopHasher(Argon2Hasher(), get_settings(IdentitySettings).password_hash_concurrency))
    tokens = Collaborator(lambda: TokenIssuer.from_settings(get_settings(IdentitySettings)))
    common_passwords = Collaborator(common_passwords)
    config = Collaborator(lambda: get_settings(IdentitySettings))
    # Password and sign-in e-mails: rows of identity's `emails`, sent over SMTP.
    mail_sender = MailSender("identity", IdentityUnitOfWork, IdentitySettings, handlers.send_next_email)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_agencies(self):
        return handlers.list_agencies(self.uow)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    @creates
    def create_agency(self, data):
        return handlers.create_agency(self.uow, self.caller, data, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    @creates
    def create_invitation(self, data):
        return handlers.create_invitation(self.uow, self.caller, data, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_invitations(self, query=None):
        return handlers.list_invitations(self.uow, self.caller, query or {}, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def revoke_invitation(self, code):
        return handlers.revoke_invitation(self.uow, self.caller, code, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    @creates
    def register(self, data):
        return handlers.register(self.uow, data, self.hasher, self.common_passwords, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def login(self, data, client_key=None, user_agent=None):
        return handlers.login(self.uow, data, self.hasher, self.tokens, self.now(), client_key, user_agent)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def refresh(self, data):
        return handlers.refresh(self.uow, data, self.tokens, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def logout(self, data):
        return handlers.logout(self.uow, self.caller, data, self.tokens, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_sessions(self, query=None):
        return handlers.list_sessions(self.uow, self.caller, query or {}, self.tokens, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def end_session(self, session_id):
        return handlers.end_session(self.uow, self.caller, session_id, self.tokens, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def change_password(self, data):
        handlers.change_password(self.uow, self.caller, data, self.hasher, self.common_passwords, self.tokens,
                                 self.now(), self.config)
        self.mail_sender.wake()

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def request_password_reset(self, data):
        if handlers.request_password_reset(self.uow, data, self.now(), self.config):
            self.mail_sender.wake()

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def confirm_password_reset(self, data):
        handlers.confirm_password_reset(self.uow, data, self.hasher, self.common_passwords, self.tokens, self.now(),
                                        self.config)
        self.mail_sender.wake()

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def request_email_link(self, data):
        if handlers.request_email_link(self.uow, data, self.now(), self.config):
            self.mail_sender.wake()

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def confirm_email_link(self, data, user_agent=None):
        return handlers.confirm_email_link(self.uow, data, self.tokens, self.now(), user_agent)

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

    @handles("moderation", "text_screened")
    def on_text_screened(self, event):
        handlers.profile_verdict(self.uow, event, self.now())

    @handles("moderation", "text_decided")
    def on_text_decided(self, event):
        handlers.profile_verdict(self.uow, event, self.now())

    @timer(interval=SETTINGS.retention_sweep_seconds)
    def sweep_inactive_accounts(self):
        """Retention: warn, then erase, accounts nobody uses (batch after
        batch; other replicas take other rows)."""
        batch = self.config.retention_batch_size
        warned = 0
        while (count := handlers.warn_inactive(self.uow, self.now(), self.config)) > 0:
            warned += count
            if count < batch:
                break
        if warned:
            self.mail_sender.wake()
        while handlers.erase_inactive(self.uow, self.now(), self.config) == batch:
            pass

    @handles("identity", "user_erased")
    def on_user_erased(self, event):
        """Erasure reaches the dead letters: parked events that carry the
        member's id (a user_registered with their e-mail, a post's body) go."""
        remove_parked_mentioning(get_settings().amqp_uri, [event.user_id])

    @timer(interval=3600)
    def forget_old_login_failures(self):
        """Failed logins only matter inside the rate-limit window; logins
        ended 30 days ago or more are forgotten."""
        self.uow.login_failures.purge_before(self.now() - 2 * LOGIN_WINDOW)
        self.uow.sessions.purge_ended_before(self.now() - timedelta(days=30))
        # Link tokens past their hour are useless; e-mails done with (bodies
        # already emptied) are kept a month for support questions.
        self.uow.auth_tokens.purge_before(self.now() - timedelta(days=1))
        self.uow.emails.purge_done_before(self.now() - timedelta(days=30))
        self.uow.commit()
