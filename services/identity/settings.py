"""identity's own configuration (shared/settings.py: one class family).
SMTP and the e-mail sender loop: shared/mail.py's MailSettings."""
from pydantic import Field

from shared.mail import MailSettings


class IdentitySettings(MailSettings):
    # A login lasts at most this long after the password was typed, however
    # often its refresh token is renewed.
    login_max_days: float = Field(30.0, gt=0)
    # A device token (given at each sign-in) marks its device as known this
    # long: failures from elsewhere do not lock the member out of it.
    login_device_days: float = Field(180.0, gt=0)
    # argon2 hashes at once per process, each taking 64 MiB: the container's
    # memory limit is sized on it (infra/k8s/identity.yaml, docker-compose.yml).
    password_hash_concurrency: int = Field(2, ge=1)

    # Pages of the web app the e-mailed links open; `?token=...` is appended.
    password_reset_url: str = "http://127.0.0.1:8080/mot-de-passe/nouveau"
    email_link_url: str = "http://127.0.0.1:8080/connexion/lien"
    # How long a password-reset link and a sign-in link work (once).
    password_reset_minutes: float = Field(60.0, gt=0)
    email_link_minutes: float = Field(15.0, gt=0)
    # While one replica talks to the SMTP server about an e-mail, the others
    # leave it alone this long; past it (the replica died), another sends it.
    email_lease_seconds: float = Field(120.0, gt=0)

    # Retention: an account with no sign-in or refresh for this many days
    # (about 23 months) is told by e-mail; without a sign-in in the next
    # INACTIVITY_ERASURE_DAYS it is erased as by DELETE /v1/me. The sweep runs
    # every RETENTION_SWEEP_SECONDS, a batch of accounts per transaction.
    inactivity_warning_days: float = Field(700.0, gt=0)
    inactivity_erasure_days: float = Field(30.0, gt=0)
    retention_sweep_seconds: float = Field(3600.0, gt=0)
    retention_batch_size: int = Field(100, ge=1)
