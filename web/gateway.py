"""The web app's only backend: the gateway's `/v1`, over HTTP.

One pooled `httpx.AsyncClient` per process. A call carries the person's
access token, their address (`X-Forwarded-For`, so the gateway's limits
apply to people, not to the web server), the request id, and for a form
that creates something its `Idempotency-Key`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import httpx

log = logging.getLogger(__name__)


@dataclass
class GatewayProblem(Exception):
    """The gateway answered with an error (a problem document)."""

    status: int
    problem: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.problem.get('title', '')}"


class GatewayDown(Exception):
    """The gateway, or a service behind it, did not answer (503 or no connection)."""


@dataclass
class Answer:
    status: int
    data: Any
    headers: httpx.Headers
    content: bytes = b""


class Gateway:
    def __init__(self, base_url: str, timeout: float, transport: httpx.AsyncBaseTransport | None = None):
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            transport=transport,
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        )

    async def close(self) -> None:
        await self._client.aclose()

    @property
    def client(self) -> httpx.AsyncClient:
        return self._client

    async def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        client_ip: str | None = None,
        request_id: str | None = None,
        params: dict[str, Any] | None = None,
        json: Any = None,
        idempotency_key: str | None = None,
        raw: bool = False,
        user_agent: str | None = None,
    ) -> Answer:
        headers = headers_for(token, client_ip, request_id, idempotency_key, user_agent)
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        try:
            response = await self._client.request(method, path, params=clean, json=json, headers=headers)
        except httpx.HTTPError as exc:
            log.warning("gateway unreachable: %s %s: %s", method, path, type(exc).__name__)
            raise GatewayDown() from exc
        if response.status_code == 503 or response.status_code == 502 or response.status_code == 504:
            raise GatewayDown()
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {}
            if not isinstance(problem, dict):
                problem = {}
            raise GatewayProblem(response.status_code, problem, dict(response.headers))
        if raw:
            return Answer(response.status_code, None, response.headers, response.content)
        data = response.json() if response.content and "json" in response.headers.get("content-type", "") else None
        return Answer(response.status_code, data, response.headers)


def headers_for(
    token: str | None, client_ip: str | None, request_id: str | None, idempotency_key: str | None,
    user_agent: str | None = None,
) -> dict[str, str]:
    headers: dict[str, str] = {"Accept": "application/json"}
    if user_agent:
        # The person's browser, so that their list of logins names their devices.
        headers["User-Agent"] = user_agent[:256]
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if client_ip:
        headers["X-Forwarded-For"] = client_ip
    if request_id:
        headers["X-Request-ID"] = request_id
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    return headers
