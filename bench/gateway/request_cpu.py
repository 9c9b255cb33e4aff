"""The gateway's own CPU time per read, in process: the ASGI app called
directly (no socket, no HTTP parsing), an answering stand-in for the
services, the rate limiter off. CPU time of this process (not wall time),
so the other load of a shared machine moves it little: what a change to the
gateway's request path (middleware, auth, routing, dependencies, JSON) buys.

    .venv/bin/python -m bench.gateway.request_cpu [-n 5000] [--repeat 5]

Prints, per path, the median over the repeats of the CPU microseconds per
request.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from pathlib import Path
from tempfile import TemporaryDirectory

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.app import create_app
from gateway.settings import GatewaySettings

POST = {
    "id": str(uuid.uuid4()), "kind": "question", "title": "Question sur la recherche d'emploi près de Lille",
    "body": "Bonjour, comment préparer un entretien dans la logistique ? " * 4, "topics": ["logistique"],
    "author": {"id": str(uuid.uuid4()), "display_name": "Auteur 1"}, "agency_code": "HDF-LILLE",
    "status": "published", "created_at": "2026-11-30T06:00:00+00:00", "published_at": "2026-11-30T06:00:01+00:00",
    "comment_count": 0, "reactions": {"helpful": 1, "thanks": 0, "support": 0}, "my_reactions": ["helpful"],
    "pinned": False, "validated_by_advisor": False, "accepted_comment_id": None,
}


class AnsweringRpc:
    """Answers every call at once with a post or a page of 20."""

    is_connected = True

    async def call(self, service, method, args=(), kwargs=None, *, context=None, timeout=None):
        if method == "feed":
            return {"items": [POST] * 20, "next_cursor": "abc"}
        return POST


async def request(app, path: str, headers: list[tuple[bytes, bytes]]) -> int:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": headers, "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000)}
    status = 0

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def run(args, keys: Path) -> None:
    key = Ed25519PrivateKey.generate()
    public = keys / "jwt.pub.pem"
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    now = int(time.time())
    token = jwt.encode({"sub": str(uuid.uuid4()), "role": "job_seeker", "agency": "HDF-LILLE", "iat": now,
                        "exp": now + 3600, "iss": "platform-identity", "aud": "platform-api",
                        "sid": str(uuid.uuid4())}, key, algorithm="EdDSA")
    headers = [(b"host", b"gateway"), (b"authorization", f"Bearer {token}".encode()), (b"accept", b"*/*")]
    app = create_app(GatewaySettings(jwt_public_key_path=str(public)), rpc_client=AnsweringRpc())
    async with app.router.lifespan_context(app):
        for name, path in (("GET /v1/posts/{id}", f"/v1/posts/{POST['id']}"), ("GET /v1/feed (20 posts)", "/v1/feed")):
            for _ in range(200):  # warm-up
                assert await request(app, path, headers) == 200
            samples = []
            for _ in range(args.repeat):
                started = time.process_time()
                for _ in range(args.n):
                    await request(app, path, headers)
                samples.append((time.process_time() - started) / args.n * 1e6)
            print(f"{name:28} {statistics.median(samples):7.0f} us CPU per request "
                  f"(runs: {', '.join(f'{s:.0f}' for s in samples)})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=3000, help="requests per run")
    parser.add_argument("--repeat", type=int, default=5, help="runs per path")
    args = parser.parse_args()
    with TemporaryDirectory() as keys:
        asyncio.run(run(args, Path(keys)))


if __name__ == "__main__":
    main()
