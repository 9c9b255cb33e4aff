"""Text hygiene at the gateway: control characters (tab, line feed and carriage
return allowed) and lone surrogates in any text, body, query, path or header,
are a 422 naming the field, in French, and no service is called."""
import pytest
from fastapi.routing import APIRoute

from gateway.app import create_app
from tests.unit.text_fields import unchecked_text

CONTROL = "Caractère de contrôle interdit (seuls la tabulation et les retours à la ligne sont permis)."
SURROGATE = "Caractère invalide : demi-paire de substitution (surrogate) isolée."
JSON = {"Content-Type": "application/json"}


def _params(dependant):
    yield from dependant.path_params + dependant.query_params + dependant.header_params + dependant.body_params
    for sub in dependant.dependencies:
        yield from _params(sub)


def test_every_text_parameter_of_every_route_is_checked(settings, fake_rpc):
    unchecked = [
        f"{sorted(route.methods)} {route.path}: {found}"
        for route in create_app(settings, rpc_client=fake_rpc).routes if isinstance(route, APIRoute)
        for param in _params(route.dependant)
        for found in unchecked_text(param.field_info.annotation, param.field_info.metadata, param.name)
    ]
    assert unchecked == []


@pytest.mark.parametrize(
    "method, path, body, loc, msg",
    [
        ("PATCH", "/v1/me", b'{"bio": "bonjour\\u0000monde"}', ["body", "bio"], CONTROL),
        ("PATCH", "/v1/me", b'{"display_name": "Ali\\u001b[2J"}', ["body", "display_name"], CONTROL),
        ("PATCH", "/v1/me", b'{"bio": "a\\ud800b"}', ["body", "bio"], SURROGATE),
        ("PATCH", "/v1/me", b'{"topics": ["emploi", "\\udc00"]}', ["body", "topics", 1], SURROGATE),
        ("POST", "/v1/posts", b'{"kind": "question", "title": "Bonjour\\u0000", "body": "Texte"}', ["body", "title"], CONTROL),
        ("POST", "/v1/posts", b'{"kind": "question", "title": "Bonjour", "body": "x", "topics": ["a\\u0000"]}',
         ["body", "topics", 0], CONTROL),
        ("POST", "/v1/auth/token", b'{"email": "a\\u0000@b.fr", "password": "un mot de passe"}', ["body", "email"], CONTROL),
        ("POST", "/v1/auth/token", b'{"email": "a@b.fr", "password": "\\ud83d"}', ["body", "password"], SURROGATE),
        ("GET", "/v1/posts?q=m%C3%A9tier%00", None, ["query", "q"], CONTROL),
        ("GET", "/v1/posts?topic=%7F", None, ["query", "topic"], CONTROL),
        ("GET", "/v1/mentors?topic=a%00", None, ["query", "topic"], CONTROL),
        ("GET", "/v1/posts/abc%00", None, ["path", "id"], CONTROL),
    ],
    ids=["bio-nul", "name-escape", "bio-surrogate", "topic-surrogate", "title-nul", "post-topic-nul", "login-email-nul",
         "password-surrogate", "query-q", "query-topic", "mentors-topic", "path-id"],
)
def test_control_characters_and_lone_surrogates_are_a_422_naming_the_field(
    client, fake_rpc, auth, assert_problem, method, path, body, loc, msg
):
    response = client.request(method, path, content=body, headers={**auth("advisor"), **JSON})
    problem = assert_problem(response, 422)
    assert {"loc": loc, "msg": msg} in [{"loc": e["loc"], "msg": e["msg"]} for e in problem["errors"]]
    assert fake_rpc.calls == []


def test_tab_and_line_breaks_are_text(client, fake_rpc, auth):
    fake_rpc.replies[("identity", "update_me")] = {}
    response = client.patch("/v1/me", json={"bio": "Ligne 1\r\n\tLigne 2"}, headers=auth())
    assert response.status_code == 200
    assert fake_rpc.last().args == ({"bio": "Ligne 1\r\n\tLigne 2"},)


@pytest.mark.parametrize(
    "body",
    [b'{"\\ud800": 1}', b'{"bio\\u0000": "x"}', b'{"channels": {"\\ud800": {"in_app": true, "email": false}}, "digest": "off"}'],
    ids=["surrogate-field-name", "nul-field-name", "surrogate-dict-key"],
)
def test_a_refused_name_is_shown_back_without_what_was_refused(client, fake_rpc, auth, assert_problem, body):
    path, method = ("/v1/notifications/preferences", "PUT") if b"channels" in body else ("/v1/me", "PATCH")
    problem = assert_problem(client.request(method, path, content=body, headers={**auth(), **JSON}), 422)
    names = "".join(part for error in problem["errors"] for part in error["loc"] if isinstance(part, str))
    assert "\x00" not in names and not any("\ud800" <= ch <= "\udfff" for ch in names)
    assert fake_rpc.calls == []
