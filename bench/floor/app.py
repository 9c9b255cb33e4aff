"""The floor's HTTP side: FastAPI on uvicorn (httptools, uvloop) making one
nameko RPC over RabbitMQ with the gateway's asyncio client, nothing else.

    AMQP_URI=... uvicorn bench.floor.app:app --http httptools --loop uvloop --no-access-log
"""
from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from gateway.rpc_client import RpcClient

client = RpcClient(os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"), client_name="bench-floor")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    await client.start(wait=30)
    try:
        yield
    finally:
        await client.close()


app = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/echo")
async def echo() -> dict:
    return {"echo": await client.call("bench_echo", "echo", ["ping"])}
