"""Gateway configuration, read from environment variables (no prefix)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from stack.services import SERVICES


def _split_list(value: Any) -> Any:
    """Accept a JSON list or a comma-separated string."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [item.strip() for item in text.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    AMQP_URI: str = "amqp://guest:guest@127.0.0.1:5672/"
    RPC_TIMEOUT_SECONDS: float = Field(5.0, gt=0)
    READINESS_TIMEOUT_SECONDS: float = Field(2.0, gt=0)
    JWT_PUBLIC_KEY_PATH: str = "var/keys/jwt_ed25519.pub.pem"
    JWT_ISSUER: str = "platform-identity"
    JWT_AUDIENCE: str = "platform-api"
    JWT_LEEWAY_SECONDS: float = Field(10.0, ge=0)
    # Services /readyz checks: by default every service of the platform.
    GATEWAY_SERVICES: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(SERVICES))
    CORS_ORIGINS: Annotated[list[str], NoDecode] = []
    MAX_BODY_BYTES: int = Field(65536, gt=0)
    LOG_LEVEL: str = "INFO"
    # Live notifications (GET /v1/notifications/stream): a comment line this
    # often keeps proxies from closing an idle stream; clients reconnect after
    # SSE_RETRY_MILLISECONDS; at most this many streams per member per replica.
    SSE_KEEPALIVE_SECONDS: float = Field(15.0, gt=0)
    SSE_RETRY_MILLISECONDS: int = Field(3000, ge=0)
    SSE_MAX_STREAMS_PER_USER: int = Field(5, ge=1)

    @field_validator("GATEWAY_SERVICES", "CORS_ORIGINS", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _split_list(value)
