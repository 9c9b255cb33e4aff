"""What each request costs the gateway (issue 17, docs/benchmarks.md): JSON by
orjson, no worker-thread hop for dependencies, few middleware layers, uvicorn
on httptools and uvloop."""

from __future__ import annotations

import inspect
import sys

import orjson

from gateway import backend as backend_module
from gateway.responses import FastJSONResponse


def test_answers_are_rendered_by_orjson(client, fake_rpc, monkeypatch):
    rendered = []
    render = FastJSONResponse.render

    def spy(self, content):
        rendered.append(content)
        return render(self, content)

    monkeypatch.setattr(FastJSONResponse, "render", spy)
    fake_rpc.replies[("identity", "list_agencies")] = [{"code": "HDF-LILLE", "name": "Lille – Hauts-de-France"}]
    response = client.get("/v1/agencies")
    assert response.status_code == 200 and rendered
    assert response.content == orjson.dumps([{"code": "HDF-LILLE", "name": "Lille – Hauts-de-France"}])


def test_the_backend_dependency_runs_on_the_event_loop():
    # FastAPI runs a plain-function dependency in a worker thread.
    assert inspect.iscoroutinefunction(backend_module.backend)


def test_the_gateway_has_at_most_three_middleware_layers_of_its_own(client):
    names = [m.cls.__name__ for m in client.app.user_middleware]
    assert names[0] == "RequestContextMiddleware" and names[-1] == "RequestGuardMiddleware"
    assert len(names) <= 3, names


def test_the_gateway_runs_on_httptools_and_uvloop(monkeypatch):
    import uvicorn

    from gateway import __main__ as entry

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(options))
    monkeypatch.setattr(sys, "argv", ["gateway"])
    monkeypatch.setattr(entry, "configure_logging", lambda level: None)
    entry.main()
    assert seen["http"] == "httptools" and seen["loop"] == "uvloop"
