"""Write load through the gateway: members ask questions and answer each other.

Each question's title carries the run's marker and a sequence number, so the
audit can tell a write done twice from two writes. The load retries as a
careful client does (API.md, idempotent writes): a write whose outcome it did
not learn (503, a refused or cut connection, 409 while the first attempt is
still running) is sent again with the same `Idempotency-Key` until it gets a
final answer or RETRY_SECONDS pass, so the platform must do it once. A write
still without a final answer then is *uncertain*: it may exist, and the audit
allows for it (ledger.Ledger.uncertain_*), never counting it as accepted.
"""
from __future__ import annotations

import itertools
import math
import threading
import time
import uuid
from dataclasses import dataclass

import httpx

from tools.chaos.ledger import Comment, Ledger, Question

PASSWORD = "une phrase de passe pour le chaos"


@dataclass(frozen=True)
class Member:
    id: str
    headers: dict


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def admin_headers(client: httpx.Client, email: str, password: str) -> dict:
    answer = _settled(client, "POST", "/v1/auth/token", json={"email": email, "password": password})
    return bearer(answer.json()["access_token"])


def _settled(client: httpx.Client, method: str, path: str, **kwargs) -> httpx.Response:
    """A set-up request, tried again with the same Idempotency-Key while the
    platform answers 503 (a machine busy enough for an RPC to time out):
    setting up is not what an experiment measures."""
    headers = {**kwargs.pop("headers", {}), "Idempotency-Key": uuid.uuid4().hex}
    deadline = time.monotonic() + 60
    while True:
        answer = client.request(method, path, headers=headers, **kwargs)
        if answer.status_code not in (409, 503) or time.monotonic() > deadline:
            answer.raise_for_status()
            return answer
        time.sleep(1)


def enrol(client: httpx.Client, admin: dict, count: int, agency: str) -> list[Member]:
    """`count` job seekers of `agency`, each invited by the admin and signed in.
    Their access tokens must outlive the run (ACCESS_TOKEN_MINUTES)."""
    invitation = _settled(client, "POST", "/v1/invitations", headers=admin,
                          json={"role": "job_seeker", "agency_code": agency, "max_uses": count})
    members = []
    for n in range(count):
        email = f"chaos-{uuid.uuid4().hex[:10]}@exemple.fr"
        user = _settled(client, "POST", "/v1/auth/register",
                        json={"invitation_code": invitation.json()["code"], "email": email, "password": PASSWORD,
                              "display_name": f"Membre chaos {n + 1}"})
        token = _settled(client, "POST", "/v1/auth/token", json={"email": email, "password": PASSWORD})
        headers = bearer(token.json()["access_token"])
        # Comments are not e-mailed by default: these members ask for it, so
        # that the ledger can follow each comment to its e-mail too.
        _settled(client, "PUT", "/v1/notifications/preferences", headers=headers, json={
            "channels": {"comment_on_post": {"in_app": True, "email": True}}, "digest": "off"})
        members.append(Member(user.json()["id"], headers))
    return members


# How long a write whose outcome is unknown is retried: past a 60 s server outage.
RETRY_SECONDS = 120.0
# Answers after which a write may or may not have been done: retried with the same key.
UNKNOWN_OUTCOME = (None, 409, 502, 503, 504, 429)

# Moderation holds more than 5 texts by one author in 10 minutes as a flood.
WRITES_PER_MEMBER = 4


def members_needed(rate: float, seconds: float) -> int:
    """Members enough that none writes more than WRITES_PER_MEMBER texts (a
    question and an answer each round) in `seconds` of load."""
    return max(4, math.ceil(rate * seconds * 2 / WRITES_PER_MEMBER) + 2)


class WriteLoad:
    """`rate` questions a second, each answered by another member, in threads,
    until `stop()`."""

    def __init__(self, base_url: str, members: list[Member], ledger: Ledger, marker: str, rate: float = 2.0,
                 topic: str | None = None):
        self.base_url, self.members, self.ledger, self.marker = base_url, members, ledger, marker
        self.rate, self.topic = rate, topic
        self.sequence = itertools.count(1)
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self, workers: int = 4) -> "WriteLoad":
        for _ in range(workers):
            thread = threading.Thread(target=self._run, args=(workers,), daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(RETRY_SECONDS + 30)

    def _send(self, client: httpx.Client, method: str, path: str, **kwargs) -> httpx.Response | None:
        try:
            answer = client.request(method, path, **kwargs)
        except httpx.HTTPError:
            self.ledger.answered("refused")
            return None
        self.ledger.answered(answer.status_code)
        return answer

    def _send_once(self, client: httpx.Client, path: str, body: dict, headers: dict,
                   first_is_final: tuple[int, ...] = ()) -> tuple[httpx.Response | None, bool]:
        """POST `body` until a final answer, with one Idempotency-Key while the
        outcome is unknown. Returns the answer (None when none was final) and
        whether the write may have been done without the load knowing.
        `first_is_final`: statuses that are final on a first attempt with a
        key (409 for a comment on a question not yet published)."""
        key, unknown = uuid.uuid4().hex, False
        deadline = time.monotonic() + RETRY_SECONDS
        while True:
            answer = self._send(client, "POST", path, json=body, headers={**headers, "Idempotency-Key": key})
            status = None if answer is None else answer.status_code
            if status not in UNKNOWN_OUTCOME or (status in first_is_final and not unknown):
                return answer, False
            # 409 after an unknown outcome: the first attempt still runs; same key.
            unknown = unknown or status != 429
            if time.monotonic() > deadline:
                return None, unknown
            try:
                wait = float(answer.headers.get("Retry-After", 1)) if answer is not None else 1.0
            except ValueError:
                wait = 1.0
            time.sleep(min(max(wait, 0.5), 5.0))

    def _run(self, workers: int) -> None:
        pause = workers / self.rate
        with httpx.Client(base_url=self.base_url, timeout=15) as client:
            while not self.stopping.is_set():
                started = time.monotonic()
                # Round robin, so that no member writes often enough to look like
                # a flood to moderation (see members_needed).
                n = next(self.sequence)
                if n > len(self.members) * WRITES_PER_MEMBER // 2:
                    # Out of members who may still write: the load pauses rather
                    # than look like a flood (members_needed was too low).
                    self.stopping.wait(pause)
                    continue
                author, answerer = self.members[n % len(self.members)], self.members[(n + 1) % len(self.members)]
                title = f"Question {self.marker} n°{n} : quelles démarches pour une formation ?"
                body = {"kind": "question", "title": title, "topics": [self.topic] if self.topic else [],
                        "body": f"Je cherche une formation qualifiante ({self.marker}, demande {n}), par où commencer ?"}
                posted, uncertain = self._send_once(client, "/v1/posts", body, author.headers)
                if posted is not None and posted.status_code == 201:
                    post_id = posted.json()["id"]
                    self.ledger.accept_question(Question(post_id, author.id, author.headers, title))
                    self._comment(client, post_id, author, answerer, n)
                elif uncertain:
                    self.ledger.uncertain_question(author.id, author.headers, title)
                self.stopping.wait(max(0.0, pause - (time.monotonic() - started)))

    def _comment(self, client: httpx.Client, post_id: str, author: Member, answerer: Member, n: int) -> None:
        # Comments need the question published; give moderation a moment, as a person would.
        # A refusal (404, 409: not published yet) is final for its key: the next
        # try is a new write, with a new key.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not self.stopping.is_set():
            answer, uncertain = self._send_once(
                client, f"/v1/posts/{post_id}/comments",
                {"body": f"Pour la demande {n}, commencez par votre conseiller puis les offres de la région."},
                answerer.headers, first_is_final=(409,))
            if answer is not None and answer.status_code == 201:
                self.ledger.accept_comment(Comment(answer.json()["id"], post_id, author.id))
                return
            if uncertain:
                self.ledger.uncertain_comment(post_id)
                return
            if answer is None or answer.status_code not in (404, 409):
                return
            time.sleep(0.5)
