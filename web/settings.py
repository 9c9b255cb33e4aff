"""Web app configuration, from environment variables (prefix WEB_), with
defaults that work on a developer machine."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-only-cookie-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WEB_", extra="ignore")

    # Where the gateway answers /v1 (the web app's only backend).
    GATEWAY_URL: str = "http://127.0.0.1:8000"
    GATEWAY_TIMEOUT_SECONDS: float = Field(8.0, gt=0)
    # `development` allows the built-in cookie secret and plain-HTTP cookies;
    # anything else (`production`) requires WEB_COOKIE_SECRET and sets `Secure`.
    ENVIRONMENT: Literal["development", "production"] = "development"
    COOKIE_SECRET: str = DEVELOPMENT_SECRET
    # None: `Secure` cookies everywhere but in development.
    SECURE_COOKIES: bool | None = None
    SESSION_MAX_AGE_DAYS: int = Field(30, ge=1, le=30)
    # Refresh the access token this long before it expires.
    REFRESH_MARGIN_SECONDS: float = Field(30.0, ge=0)
    LOG_LEVEL: str = "INFO"

    @model_validator(mode="after")
    def _production_needs_a_secret(self) -> "Settings":
        if self.ENVIRONMENT != "development" and (
            self.COOKIE_SECRET == DEVELOPMENT_SECRET or len(self.COOKIE_SECRET) < 32
        ):
            raise ValueError("WEB_COOKIE_SECRET must be set (32 characters or more) outside development")
        return self

    @property
    def secure_cookies(self) -> bool:
        if self.SECURE_COOKIES is not None:
            return self.SECURE_COOKIES
        return self.ENVIRONMENT != "development"
