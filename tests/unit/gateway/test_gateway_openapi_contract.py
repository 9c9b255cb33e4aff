"""The response contract checker finds answers that break the OpenAPI document."""
import pytest

from gateway.rpc_client import RemoteError
from tests.contract.openapi_responses import ResponseContract

POST = {
    "id": "p1", "kind": "question", "title": "Une question", "body": "Bonjour", "topics": [],
    "author": {"id": "u1", "display_name": "Léa"}, "agency_code": "HDF-LILLE", "status": "published",
    "created_at": "2026-03-01T10:00:00+00:00", "comment_count": 0, "reactions": {"helpful": 0, "thanks": 0, "support": 0},
    "accepted_comment_id": None, "pinned": False,
}


@pytest.fixture
def contract(client):
    return ResponseContract(client.get("/openapi.json").json())


def test_an_answer_as_documented_passes(client, fake_rpc, auth, contract):
    fake_rpc.replies[("posts", "get_post")] = POST
    contract.check(client.get("/v1/posts/p1", headers=auth()))
    fake_rpc.replies[("posts", "remove_post")] = None
    contract.check(client.delete("/v1/posts/p1", headers=auth()))
    contract.check(client.get("/v1/posts/p1"))  # 401, a problem document
    assert contract.seen == {"GET /v1/posts/{id}": {200, 401}, "DELETE /v1/posts/{id}": {204}}


@pytest.mark.parametrize(
    "reply, expected",
    [
        ({k: v for k, v in POST.items() if k != "pinned"}, "'pinned' is a required property"),
        ({**POST, "comment_count": "3"}, "comment_count: '3' is not of type 'integer'"),
        ({**POST, "status": "draft"}, "status: 'draft' is not one of"),
        ({**POST, "author": {"id": "u1"}}, "author: 'display_name' is a required property"),
        ({**POST, "flavour": "vanille"}, "Additional properties are not allowed ('flavour' was unexpected)"),
    ],
    ids=["missing-field", "wrong-type", "unknown-status", "nested-missing", "undocumented-field"],
)
def test_an_answer_that_breaks_its_schema_is_caught(client, fake_rpc, auth, contract, reply, expected):
    fake_rpc.replies[("posts", "get_post")] = reply
    with pytest.raises(AssertionError) as caught:
        contract.check(client.get("/v1/posts/p1", headers=auth()))
    assert expected in str(caught.value)


def test_an_undocumented_status_is_caught(client, fake_rpc, auth, contract):
    fake_rpc.replies[("posts", "get_post")] = RemoteError("Conflict", ["Conflit."])
    with pytest.raises(AssertionError, match="409: status not in the OpenAPI document"):
        contract.check(client.get("/v1/posts/p1", headers=auth()))


def test_literal_paths_win_over_parameters_and_unknown_routes_are_left_alone(contract):
    assert contract.operation("POST", "/v1/notifications/read-all").template == "/v1/notifications/read-all"
    assert contract.operation("POST", "/v1/notifications/n1/read").template == "/v1/notifications/{id}/read"
    assert contract.violations("GET", "/v1/nowhere", 404, "application/problem+json", b"{}") == []
    assert "GET /v1/topics" in contract.unseen()


def test_a_body_over_the_limit_is_a_documented_413(client, fake_rpc, auth, contract):
    response = client.patch("/v1/me", json={"bio": "x" * 70_000}, headers=auth())
    assert response.status_code == 413
    contract.check(response)


def test_operations_endpoints_answer_as_documented(client, contract):
    for path in ("/healthz", "/metrics"):
        contract.check(client.get(path))
