"""Text hygiene through the whole stack: NUL and other control characters
(tab, line feed and carriage return allowed) and lone surrogates in a text
are a 422 naming the field, never a database error answered as a 500, and
nothing changes."""
import pytest
from nameko.exceptions import RemoteError

from stack.testing import db_connect
from tests.e2e.conftest import MEMBER_PASSWORD

pytestmark = pytest.mark.e2e

CONTROL = "Caractère de contrôle interdit (seuls la tabulation et les retours à la ligne sont permis)."
SURROGATE = "Caractère invalide : demi-paire de substitution (surrogate) isolée."
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def member(join):
    """A fresh job seeker: (user, e-mail, headers with their access token)."""
    user, headers, email = join("job_seeker", "Inès")
    return user, email, headers


def refused(response, loc: list, msg: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert {"loc": loc, "msg": msg} in [{"loc": e["loc"], "msg": e["msg"]} for e in response.json()["errors"]]


def test_a_bio_with_nul_or_a_lone_surrogate_is_refused_and_the_profile_unchanged(http, member):
    _, _, auth = member
    before = http.get("/v1/me", headers=auth).json()
    refused(http.patch("/v1/me", json={"bio": "bonjour\u0000monde"}, headers=auth), ["body", "bio"], CONTROL)
    refused(http.patch("/v1/me", content=b'{"bio": "bonjour\\ud800"}', headers={**auth, **JSON}), ["body", "bio"], SURROGATE)
    refused(http.patch("/v1/me", json={"topics": ["emploi\u0007"]}, headers=auth), ["body", "topics", 0], CONTROL)
    assert http.get("/v1/me", headers=auth).json() == before
    kept = http.patch("/v1/me", json={"bio": "Ligne 1\r\n\tLigne 2"}, headers=auth)
    assert kept.status_code == 200 and kept.json()["bio"] == "Ligne 1\r\n\tLigne 2"


def test_a_post_with_nul_in_its_title_or_topics_is_refused_and_nothing_is_posted(http, member):
    user, _, auth = member
    question = {"kind": "question", "title": "Une question\u0000", "body": "Bonjour"}
    refused(http.post("/v1/posts", json=question, headers=auth), ["body", "title"], CONTROL)
    question = {"kind": "question", "title": "Une question", "body": "Bonjour", "topics": ["\u0000"]}
    refused(http.post("/v1/posts", json=question, headers=auth), ["body", "topics", 0], CONTROL)
    mine = http.get("/v1/posts", params={"author": user["id"]}, headers=auth)
    assert mine.status_code == 200 and mine.json()["items"] == []


def test_a_login_email_with_nul_is_refused_and_no_failure_is_counted(http, member, platform):
    _, email, _ = member
    with db_connect(platform, "identity") as conn:
        count = lambda: conn.execute("SELECT count(*) FROM login_failures").fetchone()[0]  # noqa: E731
        before = count()
        refused(http.post("/v1/auth/token", json={"email": email + "\u0000", "password": "x"}), ["body", "email"], CONTROL)
        assert count() == before
    assert http.post("/v1/auth/token", json={"email": email, "password": MEMBER_PASSWORD}).status_code == 200


@pytest.mark.parametrize(
    "path, params, field",
    [("/v1/posts", {"q": "métier\u0000"}, "q"), ("/v1/posts", {"topic": "\u0000"}, "topic"),
     ("/v1/events", {"topic": "a\u001b"}, "topic"), ("/v1/mentors", {"topic": "\u0000"}, "topic")],
)
def test_a_query_parameter_with_a_control_character_is_refused(http, member, path, params, field):
    _, _, auth = member
    refused(http.get(path, params=params, headers=auth), ["query", field], CONTROL)


def test_a_path_id_with_nul_is_refused(http, member):
    _, _, auth = member
    refused(http.get("/v1/posts/abc%00def", headers=auth), ["path", "id"], CONTROL)


def test_services_refuse_it_too_when_called_directly(rpc, services, member):
    user, _, _ = member
    caller = {"id": user["id"], "role": "job_seeker", "agency_code": "HDF-LILLE"}
    with pytest.raises(RemoteError) as caught:
        rpc(caller).identity.update_me({"bio": "bonjour\u0000monde"})
    assert caught.value.exc_type == "ValidationFailed"
    with pytest.raises(RemoteError) as caught:
        rpc(caller).posts.create_post({"kind": "question", "title": "Une question", "body": "a\ud800"})
    assert caught.value.exc_type == "ValidationFailed"
