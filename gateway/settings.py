"""Gateway configuration: the platform's settings (shared/settings.py) and the
gateway's own, from environment variables (no prefix, case-insensitive)."""

from __future__ import annotations

import json
import os
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from shared.settings import Settings
from stack.services import SERVICES


def _split_list(value: Any) -> Any:
    """Accept a JSON list or a comma-separated string."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [item.strip() for item in text.split(",") if item.strip()]
    return value


MAX_AUTO_WORKERS = 4


class GatewaySettings(Settings):
    # Address the gateway listens on (0.0.0.0 to serve other machines).
    gateway_host: str = "127.0.0.1"
    gateway_port: int = Field(8000, gt=0)
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed
    # (addresses or networks, comma-separated; "*" trusts anyone): the client
    # address rate limits count is the one these proxies forwarded.
    forwarded_allow_ips: str = "127.0.0.1,::1"
    readiness_timeout_seconds: float = Field(2.0, gt=0)
    jwt_leeway_seconds: float = Field(10.0, ge=0)
    # Services /readyz checks: by default every service of the platform.
    gateway_services: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(SERVICES))
    cors_origins: Annotated[list[str], NoDecode] = []
    max_body_bytes: int = Field(65536, gt=0)
    # Gateway worker processes (uvicorn workers sharing the port); 0: one per
    # CPU core this process may use, at most MAX_AUTO_WORKERS (python -m
    # gateway --workers overrides).
    gateway_workers: int = Field(0, ge=0)
    # Live notifications (GET /v1/notifications/stream): a comment line this
    # often keeps proxies from closing an idle stream; clients reconnect after
    # SSE_RETRY_MILLISECONDS; at most this many streams per member per replica.
    sse_keepalive_seconds: float = Field(15.0, gt=0)
    sse_retry_milliseconds: int = Field(3000, ge=0)
    sse_max_streams_per_user: int = Field(5, ge=1)
    # Rate limits (docs/api.md): per member, requests and writes (POST, PATCH,
    # PUT, DELETE) per window; per client address, unauthenticated requests
    # to /v1/auth/* per window. Counted in the gateway's database, shared by
    # every replica; RATE_LIMITS_ENABLED=false turns them off.
    rate_limits_enabled: bool = True
    rate_limit_window_seconds: int = Field(60, gt=0)
    rate_limit_member_requests: int = Field(600, gt=0)
    rate_limit_member_writes: int = Field(30, gt=0)
    rate_limit_auth_requests: int = Field(300, gt=0)

    @field_validator("gateway_services", "cors_origins", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _split_list(value)

    def worker_count(self) -> int:
        if self.gateway_workers:
            return self.gateway_workers
        return max(1, min(len(os.sched_getaffinity(0)), MAX_AUTO_WORKERS))
