"""The web app's settings: the platform's (shared/settings.py, one class
family) and its own, from environment variables (no prefix,
case-insensitive), with defaults that work on a developer machine."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from shared.settings import Settings

DEVELOPMENT_SECRET = "development-only-cookie-secret-change-me"


class WebSettings(Settings):
    # Address the web app listens on (0.0.0.0 to serve other machines).
    web_host: str = "127.0.0.1"
    web_port: int = Field(8080, gt=0)
    # The gateway's /v1, the web app's only backend. Empty: the gateway of
    # this machine, http://127.0.0.1:GATEWAY_PORT.
    web_gateway_url: str = ""
    gateway_port: int = Field(8000, gt=0)
    web_gateway_timeout_seconds: float = Field(8.0, gt=0)
    # `development` allows the built-in cookie secret and plain-HTTP cookies;
    # `production` requires WEB_COOKIE_SECRET and makes cookies `Secure`.
    web_environment: Literal["development", "production"] = "development"
    # Seals the session cookies: 32 characters or more, the same in every replica.
    web_cookie_secret: str = DEVELOPMENT_SECRET
    # Empty: `Secure` cookies everywhere but in development.
    web_secure_cookies: bool | None = None
    web_session_max_age_days: int = Field(30, ge=1, le=30)
    # Refresh the access token this long before it expires.
    web_refresh_margin_seconds: float = Field(30.0, ge=0)

    @model_validator(mode="after")
    def _production_needs_a_secret(self) -> "WebSettings":
        if self.web_environment != "development" and (
            self.web_cookie_secret == DEVELOPMENT_SECRET or len(self.web_cookie_secret) < 32
        ):
            raise ValueError("WEB_COOKIE_SECRET must be set (32 characters or more) outside development")
        return self

    @property
    def gateway_url(self) -> str:
        return self.web_gateway_url or f"http://127.0.0.1:{self.gateway_port}"

    @property
    def secure_cookies(self) -> bool:
        if self.web_secure_cookies is not None:
            return self.web_secure_cookies
        return self.web_environment != "development"
