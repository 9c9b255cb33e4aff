"""The OpenAPI document states the rules the platform enforces, so that a
request valid by the document is not refused (what fuzzing the document with
schemathesis' positive_data_acceptance found: tests/e2e/test_fuzz_openapi.py)."""
import pytest


@pytest.fixture
def document(client):
    return client.get("/openapi.json").json()


def body_schema(document, path: str, method: str) -> dict:
    ref = document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]]


def parameter(document, path: str, name: str) -> dict:
    return next(p for p in document["paths"][path]["get"]["parameters"] if p["name"] == name)


def test_a_patch_of_a_post_needs_a_field_and_takes_no_null(document):
    schema = body_schema(document, "/v1/posts/{id}", "patch")
    assert schema["minProperties"] == 1
    assert all("null" not in str(field) for field in schema["properties"].values())


def test_a_profile_field_may_be_left_out_but_not_null(document):
    schema = body_schema(document, "/v1/me", "patch")
    assert all("null" not in str(field) and "default" not in field for field in schema["properties"].values())


@pytest.mark.parametrize("path, body, field", [
    ("/v1/me", {"topics": None}, "topics"),
    ("/v1/me", {"display_name": None}, "display_name"),
    ("/v1/posts/p1", {"title": None}, "title"),
])
def test_a_null_is_refused_at_the_gateway_naming_the_field(client, fake_rpc, auth, assert_problem, path, body, field):
    problem = assert_problem(client.patch(path, json=body, headers=auth()), 422)
    assert [e["loc"] for e in problem["errors"]] == [["body", field]]
    assert fake_rpc.calls == []


def test_the_author_filter_is_a_member_id(document):
    assert parameter(document, "/v1/posts", "author")["schema"]["anyOf"][0] == {"type": "string", "format": "uuid"}


def test_an_event_starts_in_the_future_and_ends_after_it_starts(document):
    fields = body_schema(document, "/v1/events", "post")["properties"]
    assert "futur" in fields["starts_at"]["description"] and "422" in fields["starts_at"]["description"]
    assert "`starts_at`" in fields["ends_at"]["description"]


def test_reactions_are_never_emailed_says_the_document(document):
    channels = body_schema(document, "/v1/notifications/preferences", "put")["properties"]["channels"]
    assert channels["properties"]["reaction"]["properties"]["email"] == {"const": False}
