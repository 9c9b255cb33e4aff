"""The web app in a real browser, against the whole platform.

The platform is started as in tests/e2e (every service and the gateway on
this run's vhost and databases); the web app runs as `python -m web` on a
free port; Playwright drives Debian's chromium (`CHROMIUM_PATH`, default
/usr/bin/chromium; `make test` installs it when missing). Each person of a
journey has their own browser context (their own cookies), all at once.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from stack.testing import wait_until_answering
from tests.conftest import STRONG_PASSWORD
# The platform's fixtures and helpers come through tests/e2e/conftest.py, so
# moving them elsewhere changes that one file.
from tests.e2e.conftest import (  # noqa: F401  (gateway, services: fixtures)
    REPO_ROOT,
    die_with_parent,
    free_port,
    gateway,
    gateway_env,
    service_env,
    services,
)

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
AXE_PATH = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENSHOTS = Path(os.environ.get("WEB_SCREENSHOTS_DIR", REPO_ROOT / "var" / "web-screenshots"))


def pytest_report_header(config):
    return [f"web screenshots: {SCREENSHOTS}"]


@pytest.fixture(scope="module")
def web(platform, gateway, tmp_path_factory):  # noqa: F811
    """The web app, as `make up` runs it, in front of this run's gateway."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("web") / "web.log"
    env = service_env(platform, "web")
    env.update({"WEB_GATEWAY_URL": gateway, "WEB_COOKIE_SECRET": uuid.uuid4().hex * 2})
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "web", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent,
        )
    base = f"http://127.0.0.1:{port}"
    wait_until_answering(f"{base}/healthz", proc, log_path, "web app did not start")
    yield base
    proc.terminate()
    proc.wait(15)
    print(f"\nweb app log: {log_path}")


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM_PATH) and not Path(CHROMIUM_PATH).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"chromium not found at {CHROMIUM_PATH} (apt-get install chromium)")
        pytest.skip(f"chromium not found at {CHROMIUM_PATH}: apt-get install chromium (make test does it)")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    launched = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS, headless=True)
    yield launched
    launched.close()
    playwright.stop()


@pytest.fixture(scope="module")
def api(gateway):  # noqa: F811
    """Set-up through the gateway's API (what a page is not being tested for)."""
    with httpx.Client(base_url=gateway, timeout=15) as client:
        yield client


@pytest.fixture(scope="module")
def admin_token(api, platform):
    answer = api.post("/v1/auth/token", json={"email": platform.platform_admin_email,
                                               "password": platform.platform_admin_password})
    answer.raise_for_status()
    return answer.json()["access_token"]


@pytest.fixture(scope="module")
def invite(api, admin_token):
    """`invite(role, agency_code)` → a fresh invitation code."""

    def make(role: str = "job_seeker", agency_code: str | None = "HDF-LILLE", **extra) -> str:
        body = {"role": role, **({"agency_code": agency_code} if agency_code else {}), **extra}
        answer = api.post("/v1/invitations", json=body, headers={"Authorization": f"Bearer {admin_token}"})
        answer.raise_for_status()
        return answer.json()["code"]

    return make


@pytest.fixture(scope="module")
def member_account(api, invite):
    """`member_account(role, agency, name)` → {email, password, id}: registered through the API."""

    def make(role: str = "job_seeker", agency_code: str | None = "HDF-LILLE", name: str = "Camille") -> dict:
        email = f"{role}-{uuid.uuid4().hex[:8]}@exemple.fr"
        extra = {"organization": "Entreprise Exemple"} if role == "company" else {}
        code = invite(role, agency_code if role != "company" else None, **extra)
        answer = api.post("/v1/auth/register", json={"invitation_code": code, "email": email,
                                                      "password": STRONG_PASSWORD, "display_name": name})
        answer.raise_for_status()
        return {"email": email, "password": STRONG_PASSWORD, "id": answer.json()["id"], "name": name}

    return make


class Person:
    """One person in their own browser context: pages, checks, screenshots."""

    def __init__(self, browser, base: str, name: str, *, javascript: bool = True, width: int = 1280):
        self.name = name
        self.base = base
        self.context = browser.new_context(
            base_url=base, java_script_enabled=javascript, locale="fr-FR", timezone_id="Europe/Paris",
            viewport={"width": width, "height": 900}, accept_downloads=True,
        )
        self.context.set_default_timeout(15000)
        # axe-core, injected by the browser itself (not subject to the page's CSP).
        self.context.add_init_script(path=str(AXE_PATH))
        self.browser = browser
        self.page = self.context.new_page()
        self.javascript = javascript
        self.visited: list[str] = []

    def goto(self, path: str):
        self.page.goto(path)
        return self.page

    def sign_in(self, email: str, password: str) -> None:
        self.goto("/connexion")
        self.page.get_by_label("Adresse e-mail").fill(email)
        self.page.get_by_label("Mot de passe").fill(password)
        self.page.get_by_role("button", name="Se connecter").click()
        self.page.wait_for_url(lambda url: "/connexion" not in url)

    def check_accessibility(self, label: str) -> None:
        """axe-core in the page: no serious or critical violation. Without
        JavaScript, axe cannot run in the person's page: the same page is
        opened with their cookies in a JavaScript-enabled twin and checked there."""
        if self.javascript:
            check_accessibility(self.page, label)
            return
        twin = self.browser.new_context(base_url=self.base, locale="fr-FR", viewport=self.page.viewport_size)
        try:
            twin.add_init_script(path=str(AXE_PATH))
            twin.add_cookies(self.context.cookies())
            page = twin.new_page()
            page.goto(self.page.url)
            check_accessibility(page, label + " (sans JavaScript)")
        finally:
            twin.close()

    def close(self) -> None:
        self.context.close()


def check_accessibility(page, label: str) -> None:
    result = page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})); }"
    )
    bad = [v for v in result if v["impact"] in ("serious", "critical")]
    assert not bad, f"accessibility violations on {label} ({page.url}):\n{json.dumps(bad, indent=2, ensure_ascii=False)}"


def screenshot(page, name: str) -> None:
    """The page at 360 and 1280 pixels wide, into SCREENSHOTS."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size(original)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test's report shows where each person was and what
    their page said (a timeout alone does not say which page answered)."""
    outcome = yield
    report = outcome.get_result()
    people_fixture = item.funcargs.get("people") if report.when == "call" and report.failed else None
    for person in getattr(people_fixture, "opened", []):
        try:
            seen = f"{person.page.url}\n{person.page.locator('main').inner_text(timeout=2000)[:2000]}"
        except Exception as error:  # the page may be gone: say so rather than hide the failure
            seen = f"(page unreadable: {error})"
        report.sections.append((f"page of {person.name}", seen))


@pytest.fixture(scope="module")
def people(browser, web):
    opened: list[Person] = []

    def open_person(name: str, **options) -> Person:
        person = Person(browser, web, name, **options)
        opened.append(person)
        return person

    open_person.opened = opened  # read by pytest_runtest_makereport when a test fails
    yield open_person
    for person in opened:
        person.close()
