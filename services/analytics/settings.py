"""analytics' own configuration, from environment variables, and its pseudonym key."""
import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import REPO_ROOT

STREAM_EXCHANGE = "analytics.stream"


class AnalyticsSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    # The HMAC key of pseudonyms, as given (at least 16 characters); when empty,
    # the key file below is used, generated on first use like the JWT keys.
    analytics_pseudonym_key: str = ""
    analytics_pseudonym_key_path: Path = REPO_ROOT / "var/keys/analytics_pseudonym.key"
    # The data team's stream queue and how long it keeps messages (RabbitMQ x-max-age: Y, M, D, h, m, s).
    analytics_stream_queue: str = "analytics.stream.v1"
    analytics_stream_max_age: str = Field("400D", pattern=r"^[0-9]+[YMDhms]$")
    # How often the Prometheus KPI gauges are recomputed, and over how many days.
    analytics_kpi_refresh_seconds: float = Field(60.0, gt=0)
    analytics_kpi_window_days: int = Field(30, ge=1, le=366)


@lru_cache
def get_analytics_settings() -> AnalyticsSettings:
    return AnalyticsSettings()


def load_pseudonym_key(settings: AnalyticsSettings | None = None) -> bytes:
    """The pseudonym key: from ANALYTICS_PSEUDONYM_KEY, else from its file,
    which is created (32 random bytes, hex, mode 0600) when missing. Creation
    is atomic, so replicas starting together agree on one key."""
    settings = settings or get_analytics_settings()
    if settings.analytics_pseudonym_key:
        key = settings.analytics_pseudonym_key.encode()
        if len(key) < 16:
            raise SystemExit("ANALYTICS_PSEUDONYM_KEY must hold at least 16 characters")
        return key
    path = Path(settings.analytics_pseudonym_key_path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
        try:
            os.link(draft, path)  # atomic, and fails when another process won the race
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    key = path.read_text().strip().encode()
    if len(key) < 16:
        raise SystemExit(f"{path} must hold a key of at least 16 characters")
    return key
