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

from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    amqp_uri: str = "amqp://guest:guest@127.0.0.1:5672/"
    rabbitmq_management_url: str = "http://guest:guest@127.0.0.1:15672"
    postgres_url: str = "postgresql://postgres@127.0.0.1:5432"
    db_name_prefix: str = "platform_"

    # Deliveries of one event before it is parked in the dead letters.
    event_max_deliveries: int = 5
    rpc_timeout_seconds: float = 5.0
    outbox_poll_seconds: float = 0.5
    nameko_max_workers: int = 10

    jwt_private_key_path: Path = REPO_ROOT / "var/keys/jwt_ed25519.pem"
    jwt_public_key_path: Path = REPO_ROOT / "var/keys/jwt_ed25519.pub.pem"
    jwt_issuer: str = "platform-identity"
    jwt_audience: str = "platform-api"
    access_token_minutes: int = 15
    refresh_token_days: int = 30

    # The HMAC key signing list cursors (at least 16 characters); when empty,
    # the key file below, generated on first use like the JWT keys. Every
    # replica of a service must share it.
    cursor_key: str = ""
    cursor_key_path: Path = REPO_ROOT / "var/keys/cursor.key"

    platform_admin_email: str = "admin@pilote.example.fr"
    platform_admin_password: str = "ChangeMe-Pilote-2026!"

    metrics_port: int = 0  # 0: no metrics HTTP server (tests)
    log_level: str = "INFO"
    # A successful read (a GET at the gateway, a service's quiet entrypoint)
    # is logged at DEBUG unless it took longer than this: one INFO line per
    # read cost about 9 % of a busy service (issue 17); metrics count them all.
    log_slow_call_ms: float = 500

    def database_name(self, service: str) -> str:
        return f"{self.db_name_prefix}{service}"

    def database_url(self, service: str) -> str:
        """SQLAlchemy URL of one service's own database."""
        base = self.postgres_url.replace("postgresql://", "postgresql+psycopg://", 1)
        return f"{base.rstrip('/')}/{self.database_name(service)}"


S = TypeVar("S", bound=Settings)


@cache
def get_settings(cls: type[S] = Settings) -> S:
    """The settings of `cls`, read from the environment once per process."""
    return cls()
