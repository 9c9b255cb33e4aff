"""Fuzzing: schemathesis over the whole OpenAPI document, against the real
platform, as a job seeker, an advisor and an admin.

Every operation of /openapi.json gets generated requests, valid and invalid
(schemathesis' coverage and fuzzing phases, with a fixed seed and a bounded
number of examples so the run fits CI), and every answer must be:

- no 5xx (`not_a_server_error`): an expected failure is never a 500;
- as the document says: a documented status, its media type and a body
  that matches its schema (`status_code_conformance`,
  `content_type_conformance`, `response_schema_conformance`);
- a 405 with `Allow` for a method a path does not have, `Allow` listing
  exactly the path's methods (`unsupported_method`,
  `allow_header_conformance`).

The fuzzing writes whatever the generator draws (agencies, topics, posts,
invitations...): this module installs a platform of its own, which no other
test sees. The operations that end a login (`DELETE /v1/me`,
`DELETE /v1/me/sessions/{id}`, `POST /v1/auth/logout`) are each fuzzed by a
throwaway member; the live stream (`GET /v1/notifications/stream`) answers a
valid request with a stream that lasts as long as the token, so it is left
to tests/e2e/test_notifications_stream.py.

A longer session by hand: FUZZ_MAX_EXAMPLES (examples per operation),
FUZZ_SEED, FUZZ_CHECKS, FUZZ_WORKERS; docs/api.md says how.
"""
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from stack.testing import installed, new_run_id, remove_stale_runs, run_settings, throwaway_vhost
from tests.e2e.conftest import MEMBER_PASSWORD, bearer

pytestmark = pytest.mark.e2e

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "5"))
SEED = int(os.environ.get("FUZZ_SEED", "20261130"))
WORKERS = os.environ.get("FUZZ_WORKERS", "1")
CHECKS = os.environ.get("FUZZ_CHECKS", ",".join((
    "not_a_server_error", "status_code_conformance", "content_type_conformance", "response_schema_conformance",
    "unsupported_method", "allow_header_conformance")))
# FastAPI's operation ids (function name, path, method). Schemathesis
# reuses the ids that answers show (the caller's own login, from
# GET /v1/me/sessions), so each operation that can end a caller's access is
# fuzzed by a throwaway member of its own.
STREAM = "stream_v1_notifications_stream_get"
ENDS_ACCESS = ("erase_me_v1_me_delete", "end_session_v1_me_sessions__id__delete", "logout_v1_auth_logout_post")
AGENCY = "OCC-TOULOUSE"


@pytest.fixture(scope="module")
def platform(base_settings, jwt_keys, caller_keys):
    """A platform of this module's own (vhost and databases): what the fuzzing
    creates is seen by no other test."""
    remove_stale_runs(base_settings)
    run_id = new_run_id()
    with throwaway_vhost(base_settings, run_id) as amqp_uri:
        with installed(run_settings(base_settings, amqp_uri, run_id, jwt_keys, caller_keys)) as settings:
            yield settings


def member(client: httpx.Client, admin: dict, role: str) -> dict:
    """A member invited by the admin, registered and logged in through the API: its headers."""
    invitation = client.post("/v1/invitations", json={"role": role, "agency_code": AGENCY}, headers=admin)
    assert invitation.status_code == 201, invitation.text
    email = f"fuzz-{role}-{uuid.uuid4().hex[:8]}@exemple.fr"
    registered = client.post("/v1/auth/register", json={
        "invitation_code": invitation.json()["code"], "email": email, "password": MEMBER_PASSWORD,
        "display_name": f"Fuzz {role}"})
    assert registered.status_code == 201, registered.text
    return login(client, email, MEMBER_PASSWORD)


def login(client: httpx.Client, email: str, password: str) -> dict:
    pair = client.post("/v1/auth/token", json={"email": email, "password": password})
    assert pair.status_code == 200, pair.text
    return bearer(pair.json()["access_token"])


def fuzz(gateway: str, headers: dict, report: Path, *filters: str) -> tuple[dict, str | None]:
    """One schemathesis run (`st run`) as the caller of `headers`: its JSON
    report, and its output when it found something."""
    command = [
        str(Path(sys.executable).parent / "st"), "run", f"{gateway}/openapi.json",
        "--checks", CHECKS, "--phases", "examples,coverage,fuzzing",
        "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED), "--workers", WORKERS,
        "--generation-database", "none", "--request-timeout", "30", "--continue-on-failure",
        "--no-color", "--report", "json", "--report-json-path", str(report),
        *(f"--header={name}: {value}" for name, value in headers.items()),
        *filters,
    ]
    # In the report's directory: schemathesis keeps a crash cache (.schemathesis/) where it runs.
    run = subprocess.run(command, cwd=report.parent, capture_output=True, text=True)
    found = None if run.returncode == 0 else run.stdout[-20000:] + run.stderr[-3000:]
    return (json.loads(report.read_text()) if report.exists() else {}), found


# The suite's default run takes 3 to 8 minutes (a quiet or a very busy 2-core
# machine); more examples, longer.
@pytest.mark.timeout(300 + 120 * MAX_EXAMPLES)
def test_fuzzing_the_whole_openapi_finds_no_error(gateway, services, platform, tmp_path):
    with httpx.Client(base_url=gateway, timeout=30) as client:
        admin = login(client, platform.platform_admin_email, platform.platform_admin_password)
        callers = {"job_seeker": member(client, admin, "job_seeker"), "advisor": member(client, admin, "advisor"),
                   "admin": admin}
        throwaways = {operation: member(client, admin, "job_seeker") for operation in ENDS_ACCESS}
    reports = {operation: fuzz(gateway, headers, tmp_path / f"{operation}.json", "--include-operation-id", operation)
               for operation, headers in throwaways.items()}
    keep_callers = [f"--exclude-operation-id={operation}" for operation in (STREAM, *ENDS_ACCESS)]
    reports.update({role: fuzz(gateway, headers, tmp_path / f"{role}.json", *keep_callers)
                    for role, headers in callers.items()})
    print(json.dumps({name: report.get("test_cases") for name, (report, _) in reports.items()}, indent=1))
    found = {name: output for name, (_, output) in reports.items() if output}
    assert not found, "\n\n".join(f"===== as {name}\n{output}" for name, output in found.items())
