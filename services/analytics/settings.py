"""analytics' own configuration (shared/settings.py: one class family), and its pseudonym key."""
from pathlib import Path

from pydantic import Field

from shared.keys import secret_key
from shared.settings import REPO_ROOT, Settings, get_settings

STREAM_EXCHANGE = "analytics.stream"


class AnalyticsSettings(Settings):
    # The HMAC key of pseudonyms, as given (at least 16 characters); when empty,
    # the key file below is used, generated on first use like the JWT keys.
    analytics_pseudonym_key: str = ""
    analytics_pseudonym_key_path: Path = REPO_ROOT / "var/keys/analytics_pseudonym.key"
    # The data team's stream queue and how long it keeps messages (RabbitMQ x-max-age: Y, M, D, h, m, s).
    analytics_stream_queue: str = "analytics.stream.v2"
    analytics_stream_max_age: str = Field("400D", pattern=r"^[0-9]+[YMDhms]$")
    # How often the Prometheus KPI gauges are recomputed, and over how many days.
    analytics_kpi_refresh_seconds: float = Field(60.0, gt=0)
    analytics_kpi_window_days: int = Field(30, ge=1, le=366)


def load_pseudonym_key(settings: AnalyticsSettings | None = None) -> bytes:
    """The pseudonym key: from ANALYTICS_PSEUDONYM_KEY, else from its file
    (generated when missing, like the JWT keys)."""
    settings = settings or get_settings(AnalyticsSettings)
    return secret_key(
        settings.analytics_pseudonym_key, settings.analytics_pseudonym_key_path, "ANALYTICS_PSEUDONYM_KEY"
    )
