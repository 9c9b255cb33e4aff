"""Server time of the web app's feed page (20 posts), with the stack running.

Against a running platform (`make up`, or any gateway and web app): creates
a member of agency HDF-LILLE with an invitation from the admin, makes sure
their feed has 20 published posts, signs in through the web app's own form,
then times `GET /` and prints p50/p95/max in milliseconds, both as the web
app reports it (`Server-Timing: app;dur=…`, the time from the request to the
page's headers, the page being rendered by then) and as seen by the client
over the loopback, and `GET /v1/feed` straight from the gateway for
comparison. Also prints the page's size (target: under 60 KB).

    .venv/bin/python -m bench.web.feed_page                         # make up's addresses
    .venv/bin/python -m bench.web.feed_page --web http://127.0.0.1:8080 --gateway http://127.0.0.1:8000 -n 300
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import time
import uuid

import httpx

PASSWORD = "une longue phrase de passe pour le banc"
AGENCY = "HDF-LILLE"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def prepare(gateway: str, admin_email: str, admin_password: str) -> dict:
    """A member whose feed shows 20 published posts; returns their credentials."""
    with httpx.Client(base_url=gateway, timeout=15) as api:
        admin = api.post("/v1/auth/token", json={"email": admin_email, "password": admin_password})
        admin.raise_for_status()
        admin_headers = {"Authorization": f"Bearer {admin.json()['access_token']}"}
        code = api.post("/v1/invitations", json={"role": "job_seeker", "agency_code": AGENCY},
                        headers=admin_headers).json()["code"]
        email = f"banc-{uuid.uuid4().hex[:8]}@exemple.fr"
        api.post("/v1/auth/register", json={"invitation_code": code, "email": email, "password": PASSWORD,
                                            "display_name": "Banc d'essai"}).raise_for_status()
        token = api.post("/v1/auth/token", json={"email": email, "password": PASSWORD}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        # Five neighbours write four different posts each (screening holds a
        # flood of posts from one author, and repeated texts).
        created = []
        for author in range(5):
            code = api.post("/v1/invitations", json={"role": "job_seeker", "agency_code": AGENCY},
                            headers=admin_headers).json()["code"]
            other = f"banc-voisin-{uuid.uuid4().hex[:8]}@exemple.fr"
            api.post("/v1/auth/register", json={"invitation_code": code, "email": other, "password": PASSWORD,
                                                "display_name": f"Voisin {author + 1}"}).raise_for_status()
            other_token = api.post("/v1/auth/token", json={"email": other, "password": PASSWORD}).json()["access_token"]
            for i in range(4):
                n = author * 4 + i + 1
                body = {"kind": "question", "title": f"Question n° {n} sur la recherche d'emploi près de Lille",
                        "body": f"Bonjour, voici ma question n° {n} : je cherche des conseils pour préparer un "
                                f"entretien dans la logistique ({uuid.uuid4().hex[:8]}) et savoir quelles formations "
                                "courtes existent près de chez moi. Merci d'avance pour vos retours !",
                        "topics": []}
                answer = api.post("/v1/posts", json=body, headers={"Authorization": f"Bearer {other_token}"})
                answer.raise_for_status()
                created.append((answer.json()["id"], other_token))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            statuses = {api.get(f"/v1/posts/{pid}", headers={"Authorization": f"Bearer {t}"}).json()["status"]
                        for pid, t in created}
            if statuses == {"published"}:
                break
            time.sleep(0.5)
        feed = api.get("/v1/feed", params={"limit": 20}, headers=headers).json()
        assert len(feed["items"]) == 20, "the feed should have 20 posts"
    return {"email": email, "password": PASSWORD, "token": token}


def measure_gateway(gateway: str, account: dict, calls: int, warmup: int = 20) -> list[float]:
    """The same feed straight from the gateway: what the web app adds is the difference."""
    times = []
    with httpx.Client(base_url=gateway, timeout=15, headers={"Authorization": f"Bearer {account['token']}"}) as api:
        for i in range(warmup + calls):
            started = time.perf_counter()
            api.get("/v1/feed", params={"limit": 20}).raise_for_status()
            if i >= warmup:
                times.append((time.perf_counter() - started) * 1000)
    return times


def measure(web: str, account: dict, calls: int, warmup: int = 20) -> dict:
    with httpx.Client(base_url=web, timeout=15, follow_redirects=False) as client:
        form = client.get("/connexion").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        answer = client.post("/connexion", data={"email": account["email"], "password": account["password"],
                                                 "csrf_token": csrf, "suite": "/"})
        assert answer.status_code == 303, answer.text[:500]
        server, client_side, size = [], [], 0
        for i in range(warmup + calls):
            started = time.perf_counter()
            page = client.get("/")
            elapsed = (time.perf_counter() - started) * 1000
            assert page.status_code == 200 and page.text.count('<article class="app-card') == 20
            if i >= warmup:
                timing = re.search(r"app;dur=([0-9.]+)", page.headers.get("server-timing", ""))
                server.append(float(timing.group(1)) if timing else elapsed)
                client_side.append(elapsed)
                size = len(page.content)
    return {"server": server, "client": client_side, "bytes": size}


def report(result: dict) -> str:
    lines = [f"feed page, 20 posts: {len(result['server'])} requests, {result['bytes'] / 1024:.1f} KB of HTML"]
    for name in ("server", "client", "gateway"):
        if name not in result:
            continue
        values = result[name]
        lines.append(f"  {name:6} p50 {statistics.median(values):6.1f} ms   p95 {percentile(values, 95):6.1f} ms   "
                     f"max {max(values):6.1f} ms")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--web", default=f"http://{os.environ.get('WEB_HOST', '127.0.0.1')}:{os.environ.get('WEB_PORT', '8080')}")
    parser.add_argument("--gateway", default=f"http://{os.environ.get('GATEWAY_HOST', '127.0.0.1')}:{os.environ.get('GATEWAY_PORT', '8000')}")
    parser.add_argument("-n", "--calls", type=int, default=300)
    args = parser.parse_args()
    account = prepare(args.gateway, os.environ.get("PLATFORM_ADMIN_EMAIL", "admin@pilote.example.fr"),
                      os.environ.get("PLATFORM_ADMIN_PASSWORD", "ChangeMe-Pilote-2026!"))
    result = measure(args.web, account, args.calls)
    result["gateway"] = measure_gateway(args.gateway, account, args.calls)
    print(report(result))


if __name__ == "__main__":
    main()
