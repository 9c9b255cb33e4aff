"""Configuration, from environment variables (case-insensitive) with defaults
for a developer machine: one class family, defaults in one place.

`Settings` holds what every process reads; a service's own settings (or the
gateway's) subclass it in its package, so each process reads one class:
`get_settings()` or `get_settings(EventsSettings)`. `.env.example` lists every
field of the family with its default (tests/unit/shared/test_shared_settings.py).
"""
from functools import cache
from pathlib import Path
from typing import TypeVar

from urllib.parse import quote, urlsplit

from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    # "development" on a developer machine and in the tests (make up, make
    # bootstrap and the test fixtures set it): only there may the bootstrap
    # make JWT keys itself or seed the admin with a weak or documented
    # password. Anything else is treated as a real deployment.
    platform_env: str = "production"

    amqp_uri: str = "amqp://guest:guest@127.0.0.1:5672/"
    rabbitmq_management_url: str = "http://guest:guest@127.0.0.1:15672"
    # The data team's broker user (stack/broker_users.py): reads the
    # analytics stream alone. The bootstrap makes it when a password is set.
    data_team_amqp_user: str = "data-team"
    data_team_amqp_password: str = ""
    # Each service and the gateway connect to the broker as a user of their
    # own, limited to their own queues and exchanges (stack/broker_users.py;
    # named like their database role). AMQP_URI is that process's own URI in
    # a service's environment (compose, Kubernetes), the admin's in the
    # bootstrap's; AMQP_PASSWORDS, in the bootstrap's (and `make up`'s), every
    # user's password as JSON {"posts": "...", "gateway": "...", ...}. In
    # development a missing one defaults to `dev-<user>`; elsewhere the
    # bootstrap refuses to run without it.
    amqp_passwords: dict[str, str] = {}
    postgres_url: str = "postgresql://postgres@127.0.0.1:5432"
    db_name_prefix: str = "platform_"
    # A service process connects as its own PostgreSQL role, allowed on its
    # own database alone (stack/db_roles.py; the role is named like the
    # database). DB_PASSWORD is that role's password in the service's
    # environment; DB_PASSWORDS, in the bootstrap's, every role's, as JSON
    # {"posts": "...", ...}. Empty: no password (a development server that
    # trusts local logins). POSTGRES_URL's own user is the bootstrap's (it
    # owns the schemas and runs the migrations).
    db_password: str = ""
    db_passwords: dict[str, str] = {}

    # Deliveries of one event before it is parked in the dead letters.
    event_max_deliveries: int = 5
    # How long a parked event is kept (a message TTL policy on the dead-letter
    # queue): past it RabbitMQ drops it, with whatever personal data it carried.
    dead_letter_retention_days: float = 14
    # Deliveries that end with no answer (the consumer died or restarted)
    # before RabbitMQ parks the message: the backstop of event and RPC queues.
    event_redelivery_limit: int = 20
    rpc_timeout_seconds: float = 5.0
    outbox_poll_seconds: float = 0.5

    # Every service's database session (connection options; 0 disables one):
    # no statement, lock wait or forgotten transaction holds a connection or
    # a lock for ever. A lock wait past the limit is a transient failure,
    # retried (shared/transient.py).
    db_statement_timeout_ms: int = 30_000
    db_lock_timeout_ms: int = 5_000
    db_idle_in_transaction_timeout_ms: int = 60_000
    db_connect_timeout_seconds: int = 5
    nameko_max_workers: int = 10

    jwt_private_key_path: Path = REPO_ROOT / "var/keys/jwt_ed25519.pem"
    jwt_public_key_path: Path = REPO_ROOT / "var/keys/jwt_ed25519.pub.pem"
    jwt_issuer: str = "platform-identity"
    jwt_audience: str = "platform-api"
    access_token_minutes: int = 15
    refresh_token_days: int = 30
    # A refresh token used again this soon after its first use is a client's
    # retry (its answer was lost to a timeout, or two of its requests raced),
    # not a replay: it gets a new pair instead of revoking the login.
    refresh_reuse_grace_seconds: int = 30

    # The caller context of every RPC (shared/caller_token.py): the gateway
    # signs it with the private key, each service verifies it with the public
    # one (a service cannot sign). Made like the JWT pair.
    caller_private_key_path: Path = REPO_ROOT / "var/keys/caller_ed25519.pem"
    caller_public_key_path: Path = REPO_ROOT / "var/keys/caller_ed25519.pub.pem"

    # The HMAC key signing list cursors (at least 16 characters); when empty,
    # the key file below, generated on first use like the JWT keys. Every
    # replica of a service must share it.
    cursor_key: str = ""
    cursor_key_path: Path = REPO_ROOT / "var/keys/cursor.key"

    platform_admin_email: str = "admin@pilote.example.fr"
    platform_admin_password: str = "ChangeMe-Pilote-2026!"

    metrics_port: int = 0  # 0: no metrics HTTP server (tests)
    # Address a service's metrics server listens on: this machine only unless
    # configured (Kubernetes and compose set 0.0.0.0 for Prometheus and probes).
    metrics_host: str = "127.0.0.1"
    log_level: str = "INFO"
    # A successful read (a GET at the gateway, a service's quiet entrypoint)
    # is logged at DEBUG unless it took longer than this: one INFO line per
    # read cost about 9 % of a busy service (issue 17); metrics count them all.
    log_slow_call_ms: float = 500

    @property
    def is_development(self) -> bool:
        return self.platform_env.strip().lower() == "development"

    def database_name(self, service: str) -> str:
        return f"{self.db_name_prefix}{service}"

    def database_url(self, service: str) -> str:
        """SQLAlchemy URL of one service's own database, with POSTGRES_URL's
        credentials (migrations, deploy steps, tools)."""
        base = self.postgres_url.replace("postgresql://", "postgresql+psycopg://", 1)
        return f"{base.rstrip('/')}/{self.database_name(service)}"

    def database_role(self, service: str) -> str:
        return self.database_name(service)

    def broker_user(self, service: str) -> str:
        """The broker user of a service (or of the gateway): named like its database role."""
        return self.database_role(service)

    def broker_password(self, service: str) -> str:
        password = self.amqp_passwords.get(service, "")
        if password:
            return password
        if self.is_development:
            return f"dev-{self.broker_user(service)}"
        raise ValueError(f"no broker password for {service}: set AMQP_PASSWORDS (outside development)")

    def service_amqp_uri(self, service: str) -> str:
        """AMQP_URI (every node of it) with the service's own user instead of
        the admin's: what the process of `service` connects with."""
        credentials = f"{quote(self.broker_user(service), safe='')}:{quote(self.broker_password(service), safe='')}"
        uris = []
        for uri in self.amqp_uri.split(";"):
            if not uri.strip():
                continue
            parts = urlsplit(uri.strip())
            host = parts.netloc.rsplit("@", 1)[-1]
            uris.append(parts._replace(netloc=f"{credentials}@{host}").geturl())
        return ";".join(uris)

    def service_database_url(self, service: str) -> str:
        """SQLAlchemy URL of one service's own database, as that service's
        role (what the service process itself uses)."""
        parts = urlsplit(self.postgres_url)
        user = quote(self.database_role(service), safe="")
        if self.db_password:
            user += ":" + quote(self.db_password, safe="")
        host = parts.hostname or "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        if parts.port:
            host += f":{parts.port}"
        query = f"?{parts.query}" if parts.query else ""
        return f"postgresql+psycopg://{user}@{host}/{self.database_name(service)}{query}"


S = TypeVar("S", bound=Settings)


@cache
def get_settings(cls: type[S] = Settings) -> S:
    """The settings of `cls`, read from the environment once per process."""
    return cls()
