"""What the chaos load was told, and what the platform did with it afterwards.

The ledger only knows what a client saw: a write answered 201 is *accepted*
and must then have each of its effects exactly once (published, its author
notified of each comment, counted in the agency's KPIs). The audit reads the
effects back through the public API, as any client would, so a pass means the
platform kept its promises, not that some table looks right.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx


@dataclass(frozen=True)
class Question:
    post_id: str
    author_id: str
    author_headers: dict
    title: str


@dataclass(frozen=True)
class Comment:
    comment_id: str
    post_id: str
    question_author_id: str


@dataclass
class Ledger:
    questions: dict[str, Question] = field(default_factory=dict)
    comments: dict[str, Comment] = field(default_factory=dict)
    # Every answer the load got, by status code ("refused" when nothing answered).
    answers: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def answered(self, status: int | str) -> None:
        with self.lock:
            self.answers[status] += 1

    def accept_question(self, question: Question) -> None:
        with self.lock:
            self.questions[question.post_id] = question

    def accept_comment(self, comment: Comment) -> None:
        with self.lock:
            self.comments[comment.comment_id] = comment

    def accepted(self) -> int:
        with self.lock:
            return len(self.questions) + len(self.comments)

    def published_questions(self) -> list[Question]:
        with self.lock:
            return list(self.questions.values())


@dataclass
class Audit:
    """One experiment's outcome; `ok` when nothing was lost, doubled or stuck."""

    name: str
    accepted: int
    lost: int = 0
    stuck: int = 0
    duplicated: int = 0
    server_errors: int = 0
    parked: int = 0
    # Writes accepted while the fault lasted, for an experiment that promises
    # the platform keeps taking writes through it (a cluster node down): then
    # none is a failure.
    during_fault: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.stuck or self.duplicated or self.server_errors or self.parked
                    or self.during_fault == 0)

    def line(self) -> str:
        verdict = "ok" if self.ok else "FAILED"
        text = (f"{self.name:<28} accepted {self.accepted:>4}  lost {self.lost}  duplicated {self.duplicated}  "
                f"stuck {self.stuck}  500s {self.server_errors}  parked {self.parked}"
                + (f"  during the fault {self.during_fault}" if self.during_fault is not None else "")
                + f"  {verdict}")
        return text + "".join(f"\n    {note}" for note in self.notes)


def _pages(client: httpx.Client, path: str, headers: dict, params: dict | None = None) -> list[dict]:
    items, cursor = [], None
    while True:
        page = client.get(path, headers=headers, params={**(params or {}), **({"cursor": cursor} if cursor else {})})
        page.raise_for_status()
        body = page.json()
        items.extend(body["items"])
        cursor = body.get("next_cursor")
        if not cursor:
            return items


def audit(client: httpx.Client, ledger: Ledger, name: str, *, marker: str, kpi: "KpiProbe",
          parked: int, expected_parked: int = 0, settle_seconds: float = 60.0) -> Audit:
    """Wait until the accepted writes have had their effects (or `settle_seconds`
    pass), then count what is missing, doubled or stuck."""
    questions = ledger.published_questions()
    comments = list(ledger.comments.values())
    result = Audit(name, accepted=len(questions) + len(comments))
    result.server_errors = sum(n for status, n in ledger.answers.items() if isinstance(status, int) and status >= 500
                               and status != 503)
    result.parked = max(0, parked - expected_parked)
    if parked < expected_parked:
        # A message meant to be parked that is not there is going round somewhere.
        result.stuck += expected_parked - parked
        result.notes.append(f"{expected_parked - parked} of {expected_parked} poison deliveries not parked")
    deadline = time.monotonic() + settle_seconds

    # Published: every accepted question, once the consumers have caught up.
    pending = {q.post_id: q for q in questions}
    while pending and time.monotonic() < deadline:
        for post_id, question in list(pending.items()):
            answer = client.get(f"/v1/posts/{post_id}", headers=question.author_headers)
            if answer.status_code == 200 and answer.json()["status"] == "published":
                del pending[post_id]
        if pending:
            time.sleep(0.5)
    for post_id, question in pending.items():
        answer = client.get(f"/v1/posts/{post_id}", headers=question.author_headers)
        if answer.status_code == 404:
            result.lost += 1
            result.notes.append(f"lost: post {post_id}")
        else:
            result.stuck += 1
            result.notes.append(f"stuck: post {post_id} is {answer.json().get('status')}")

    # Not twice: the titles carry the run's marker and a sequence number, so a
    # write done twice shows as the same title twice under its author.
    authors = {q.author_id: q.author_headers for q in questions}
    for author_id, headers in authors.items():
        titles = Counter(post["title"] for post in _pages(client, "/v1/posts", headers, {"author": author_id})
                         if marker in post["title"])
        doubled = {title: n for title, n in titles.items() if n > 1}
        result.duplicated += sum(n - 1 for n in doubled.values())
        result.notes.extend(f"duplicated: {n} × {title!r}" for title, n in doubled.items())

    # Each comment notifies the question's author exactly once.
    expected = Counter(c.post_id for c in comments)
    by_author = {q.author_id: q.author_headers for q in questions if q.post_id in expected}
    seen: Counter = Counter()
    while time.monotonic() < deadline or not seen:
        seen = Counter()
        for headers in by_author.values():
            for item in _pages(client, "/v1/notifications", headers):
                if item["type"] == "comment_on_post" and item["link"]:
                    seen[item["link"].rsplit("/", 1)[-1]] += 1
        if all(seen[post_id] >= n for post_id, n in expected.items()):
            break
        time.sleep(1)
    for post_id, n in expected.items():
        if seen[post_id] < n:
            result.lost += n - seen[post_id]
            result.notes.append(f"lost: {n - seen[post_id]} of {n} comment notifications on post {post_id}")
        elif seen[post_id] > n:
            result.duplicated += seen[post_id] - n
            result.notes.append(f"duplicated: {seen[post_id] - n} comment notifications on post {post_id}")

    # Counted once in the agency's KPIs.
    counted = kpi.wait_for(len(questions), deadline)
    if counted < len(questions):
        result.lost += len(questions) - counted
        result.notes.append(f"KPI: {counted} questions counted for {len(questions)} accepted")
    elif counted > len(questions):
        result.duplicated += counted - len(questions)
        result.notes.append(f"KPI: {counted} questions counted for {len(questions)} accepted")
    if result.parked:
        result.notes.append(f"{result.parked} event(s) in the dead letters besides the experiment's own")
    return result


class KpiProbe:
    """The agency's `questions` KPI, read as the admin, relative to its value
    when the experiment started."""

    def __init__(self, client: httpx.Client, admin_headers: dict, agency: str):
        self.client, self.headers, self.agency = client, admin_headers, agency
        self.baseline = self.read()

    def read(self) -> int:
        answer = self.client.get("/v1/analytics/kpis", headers=self.headers, params={"agency": self.agency})
        answer.raise_for_status()
        return int(answer.json()["questions"])

    def wait_for(self, expected: int, deadline: float) -> int:
        counted = self.read() - self.baseline
        while counted < expected and time.monotonic() < deadline:
            time.sleep(0.5)
            counted = self.read() - self.baseline
        return counted
