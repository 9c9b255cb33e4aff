"""Idempotency-Key at the gateway: checked (422 naming the header), forwarded
to the service with the creating call only, a replay marked
`Idempotent-Replayed: true`, and documented on every creating POST."""
import pytest

from shared.api.idempotency import CONTEXT_ENTRY

POST = {"kind": "question", "title": "Une question", "body": "Le texte", "topics": []}
VIEW = {"id": "p1", "status": "pending"}


def test_without_a_key_the_creating_call_is_as_before(client, fake_rpc, auth):
    fake_rpc.replies[("posts", "create_post")] = VIEW
    response = client.post("/v1/posts", json=POST, headers=auth())
    assert response.status_code == 201 and response.json() == VIEW
    assert CONTEXT_ENTRY not in fake_rpc.last().context
    assert "Idempotent-Replayed" not in response.headers


def test_the_key_goes_to_the_service_and_a_first_answer_is_not_a_replay(client, fake_rpc, auth):
    fake_rpc.replies[("posts", "create_post")] = {"replayed": False, "result": VIEW}
    response = client.post("/v1/posts", json=POST, headers={**auth(), "Idempotency-Key": "clé-1".encode().hex()})
    assert response.status_code == 201 and response.json() == VIEW
    assert fake_rpc.last().context[CONTEXT_ENTRY] == "clé-1".encode().hex()
    assert "Idempotent-Replayed" not in response.headers


def test_a_replayed_answer_is_the_stored_one_with_the_replay_header(client, fake_rpc, auth):
    fake_rpc.replies[("posts", "create_post")] = {"replayed": True, "result": VIEW}
    response = client.post("/v1/posts", json=POST, headers={**auth(), "Idempotency-Key": "k 1"})
    assert response.status_code == 201 and response.json() == VIEW
    assert response.headers["Idempotent-Replayed"] == "true"


def test_only_the_creating_call_carries_the_key(client, fake_rpc, auth):
    """POST /v1/mentors reads the topics first: that read must not claim the key."""
    fake_rpc.replies[("posts", "list_topics")] = [{"slug": "N1103", "label": "Logistique", "kind": "rome"}]
    fake_rpc.replies[("mentoring", "create_mentor")] = {"replayed": False, "result": {"id": "m1"}}
    client.post("/v1/mentors", json={"bio": "Vingt ans de métier", "topics": ["N1103"], "capacity": 2},
                headers={**auth(role="company"), "Idempotency-Key": "k"})
    contexts = {(c.service, c.method): c.context for c in fake_rpc.calls}
    assert CONTEXT_ENTRY not in contexts[("posts", "list_topics")]
    assert contexts[("mentoring", "create_mentor")][CONTEXT_ENTRY] == "k"


@pytest.mark.parametrize("key", ["", "x" * 256, "clé", "tab\there"])
def test_a_key_too_long_empty_or_not_printable_ascii_is_refused_naming_the_header(
        client, fake_rpc, auth, assert_problem, key):
    problem = assert_problem(
        client.post("/v1/posts", json=POST, headers={**auth(), "Idempotency-Key": key.encode("utf-8")}), 422)
    assert ["header", "Idempotency-Key"] in [e["loc"] for e in problem["errors"]]
    assert fake_rpc.calls == []


def test_a_key_of_255_characters_is_accepted(client, fake_rpc, auth):
    fake_rpc.replies[("posts", "create_post")] = {"replayed": False, "result": VIEW}
    assert client.post("/v1/posts", json=POST, headers={**auth(), "Idempotency-Key": "x" * 255}).status_code == 201


def test_every_creating_post_documents_the_key_its_409_422_and_the_replay_header(client):
    schema = client.get("/openapi.json").json()
    creating = [
        (path, operation) for path, operations in schema["paths"].items()
        for method, operation in operations.items() if method == "post" and "201" in operation["responses"]
    ]
    assert len(creating) == 13
    for path, operation in creating:
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
        assert "Idempotency-Key" in names, path
        assert {"409", "422"} <= set(operation["responses"]), path
        assert "Idempotent-Replayed" in operation["responses"]["201"]["headers"], path
