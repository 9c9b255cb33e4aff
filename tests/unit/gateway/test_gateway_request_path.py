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


def test_a_services_answer_is_not_walked_by_fastapis_encoder(client, fake_rpc, auth, monkeypatch):
    """jsonable_encoder walked a page of 20 posts in Python (640 µs, a third
    of the gateway's CPU per search): a service's answer, already JSON, goes
    to orjson as it is, with the route's status code."""
    from fastapi import routing

    def walked(content, *args, **kwargs):
        raise AssertionError("jsonable_encoder walked the answer")

    monkeypatch.setattr(routing, "jsonable_encoder", walked)
    page = {"items": [{"id": "p1", "title": "Été à Lille", "score": 0.5}], "next_cursor": None}
    fake_rpc.replies[("posts", "list_posts")] = page
    response = client.get("/v1/posts", params={"q": "lille"}, headers=auth())
    assert response.status_code == 200 and response.content == orjson.dumps(page)
    fake_rpc.replies[("posts", "create_post")] = {"id": "p2", "status": "pending"}
    created = client.post("/v1/posts", json={"kind": "question", "title": "Une question", "body": "Le corps"},
                          headers=auth())
    assert created.status_code == 201 and created.json() == {"id": "p2", "status": "pending"}


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
