"""Operations can follow one request through the logs: the X-Request-ID a
client sends is the correlation id of the gateway's own access line and of
every line it causes in every service it touches (RPC, then events), each a
JSON object with service, entrypoint and outcome. And no log line, anywhere,
carries the member's password, e-mail address or tokens."""
import json
import subprocess
import sys
import uuid

import httpx
import pytest

from shared.settings import REPO_ROOT
from stack.testing import die_with_parent, free_port, service_env, wait_for, wait_until_answering

pytestmark = pytest.mark.e2e

PASSWORD = "une phrase de passe bien longue"


# Analytics reads every event through one queue, with a subclass of the reliable handler.
EVENT_HANDLER_KINDS = {"ReliableEventHandler", "AllEventsHandler"}


class LoggedGateway:
    def __init__(self, base: str, log_path):
        self.base = base
        self.log_path = log_path

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="module")
def logged_gateway(platform, services, tmp_path_factory):
    """The gateway as `make up` runs it (python -m gateway, JSON lines on stdout), its output kept."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("ops-gateway") / "gateway.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gateway", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO_ROOT, env=service_env(platform, "gateway"), stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent,
        )
    gateway = LoggedGateway(f"http://127.0.0.1:{port}", log_path)
    wait_until_answering(f"{gateway.base}/readyz", proc, log_path, "gateway did not become ready")
    yield gateway
    proc.terminate()
    proc.wait(15)


def json_lines(text: str) -> list[dict]:
    """The log records: one JSON object per line. (Python warnings printed on
    stderr at import time, merged into the same file, are not records.)"""
    return [json.loads(raw) for raw in text.splitlines() if raw.startswith("{")]


def with_correlation_id(text: str, request_id: str) -> list[dict]:
    return [line for line in json_lines(text) if line.get("correlation_id") == request_id]


@pytest.fixture(scope="module")
def member(logged_gateway, platform):
    """A job seeker registered and logged in over HTTP."""
    with httpx.Client(base_url=logged_gateway.base, timeout=10) as http:
        admin = http.post("/v1/auth/token", json={"email": platform.platform_admin_email,
                                                  "password": platform.platform_admin_password})
        admin_token = admin.json()["access_token"]
        code = http.post("/v1/invitations", json={"role": "job_seeker", "agency_code": "IDF-MONTREUIL"},
                         headers={"Authorization": f"Bearer {admin_token}"}).json()["code"]
        email = f"noa-{uuid.uuid4().hex[:8]}@exemple.fr"
        registered = http.post("/v1/auth/register", json={"invitation_code": code, "email": email,
                                                          "password": PASSWORD, "display_name": "Noa"})
        assert registered.status_code == 201, registered.text
        tokens = http.post("/v1/auth/token", json={"email": email, "password": PASSWORD}).json()
    return {"email": email, "tokens": tokens, "admin_token": admin_token}


def test_a_request_is_followed_by_its_correlation_id_through_every_log(logged_gateway, services, member):
    request_id = f"ops-{uuid.uuid4().hex}"
    with httpx.Client(base_url=logged_gateway.base, timeout=10) as http:
        auth = {"Authorization": f"Bearer {member['tokens']['access_token']}"}
        created = http.post(
            "/v1/posts",
            json={"kind": "question", "title": "Suivre une requête", "body": "Où trouver un atelier CV ?", "topics": []},
            headers={**auth, "X-Request-ID": request_id},
        )
        assert created.status_code == 201, created.text
        assert created.headers["X-Request-ID"] == request_id
        post_id = created.json()["id"]
        wait_for(lambda: http.get(f"/v1/posts/{post_id}", headers=auth).json()["status"] == "published",
                 timeout=10, message="the post to be published")

    # The gateway's own access line: the route template, the status, the duration.
    (access,) = [line for line in with_correlation_id(logged_gateway.logs(), request_id)
                 if line["logger"] == "gateway.access"]
    assert access["service"] == "gateway" and access["method"] == "POST"
    assert access["route"] == "/v1/posts" and access["status"] == 201 and access["duration_ms"] >= 0
    assert access["level"] == "INFO" and access["message"] == "request"

    # Every service it touched: posts (the RPC), moderation (post_created),
    # posts again (content_screened), analytics (the published post).
    def handled_lines():
        found = {}
        for name in ("posts", "moderation", "analytics"):
            lines = [line for line in with_correlation_id(services[name].logs(), request_id)
                     if line.get("message") == "entrypoint handled"]
            if not lines:
                return None
            found[name] = lines
        return found

    handled = wait_for(handled_lines, timeout=10, message="every service to log the request's work")
    for name, lines in handled.items():
        for line in lines:
            assert line["service"] == name
            assert line["outcome"] == "success", line
            assert line["entrypoint"] and line["kind"] in {"Rpc", *EVENT_HANDLER_KINDS}
            assert isinstance(line["duration_ms"], (int, float)) and line["time"] and line["level"] == "INFO"
    assert {line["entrypoint"] for line in handled["posts"]} >= {"create_post"}
    assert any(line["kind"] == "ReliableEventHandler" for line in handled["moderation"])
    assert any(line["kind"] in EVENT_HANDLER_KINDS for line in handled["analytics"])


def test_no_log_line_carries_a_password_an_email_address_or_a_token(logged_gateway, services, member):
    # One more login with a client-chosen request id, to be sure this path is logged too.
    request_id = f"ops-{uuid.uuid4().hex}"
    with httpx.Client(base_url=logged_gateway.base, timeout=10) as http:
        answer = http.post("/v1/auth/token", json={"email": member["email"], "password": PASSWORD},
                           headers={"X-Request-ID": request_id})
        assert answer.status_code == 200
        refused = http.post("/v1/auth/token", json={"email": member["email"], "password": PASSWORD + "!"})
        assert refused.status_code == 401
    wait_for(lambda: with_correlation_id(services["identity"].logs(), request_id), timeout=5,
             message="identity to log the login")
    secrets = {
        "password": PASSWORD,
        "e-mail address": member["email"],
        "access token": member["tokens"]["access_token"],
        "refresh token": member["tokens"]["refresh_token"],
        "admin access token": member["admin_token"],
    }
    logs = {"gateway": logged_gateway.logs(), **{name: proc.logs() for name, proc in services.items()}}
    for process, text in logs.items():
        for what, value in secrets.items():
            assert value not in text, f"the {what} is in the {process} log"


def test_a_rejected_call_is_logged_once_without_a_traceback(logged_gateway, services, member):
    """A client's mistake (here a forged cursor: 422) is one line, the
    entrypoint's, outcome `rejected`: nameko's warning with the traceback of
    every expected failure is filtered out (infra/nameko.yaml)."""
    request_id = f"ops-{uuid.uuid4().hex}"
    with httpx.Client(base_url=logged_gateway.base, timeout=10) as http:
        answer = http.get("/v1/posts", params={"q": "atelier", "cursor": "forge.forge"},
                          headers={"Authorization": f"Bearer {member['tokens']['access_token']}",
                                   "X-Request-ID": request_id})
    assert answer.status_code == 422
    lines = wait_for(lambda: with_correlation_id(services["posts"].logs(), request_id), timeout=5,
                     message="posts to log the rejected call")
    assert [(line["message"], line.get("outcome")) for line in lines] == [("entrypoint handled", "rejected")], lines
    assert "Traceback" not in services["posts"].logs()
