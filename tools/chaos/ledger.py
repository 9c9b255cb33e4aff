"""What the chaos load was told, and what the platform did with it afterwards.

The ledger only knows what a client saw: a write answered 201 is *accepted*
and must then have each of its effects exactly once (published, its author
notified of each comment, e-mailed of it, counted in the agency's KPIs, in
the analytics stream by event id). The audit reads the effects back where
their readers read them: the public API as any client, the SMTP server's
messages as a mailbox would, the stream as the data team does
(tools/datastream), so a pass means the platform kept its promises, not that
some table looks right.
"""
from __future__ import annotations

import re
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Callable

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
    # Writes retried for as long as the load does without a final answer:
    # they may exist (author id, headers, title) / (post id), never accepted.
    uncertain_questions: list[tuple[str, dict, str]] = field(default_factory=list)
    uncertain_comments: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def uncertain_question(self, author_id: str, headers: dict, title: str) -> None:
        with self.lock:
            self.uncertain_questions.append((author_id, headers, title))

    def uncertain_comment(self, post_id: str) -> None:
        with self.lock:
            self.uncertain_comments[post_id] += 1

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
    # Per effect (EFFECTS): [lost, duplicated]; an effect the audit could not
    # read (no SMTP sink or stream given) is absent.
    effects: dict[str, list[int]] = field(default_factory=dict)

    def count(self, effect: str, lost: int = 0, duplicated: int = 0) -> None:
        tally = self.effects.setdefault(effect, [0, 0])
        tally[0] += lost
        tally[1] += duplicated
        self.lost += lost
        self.duplicated += duplicated

    @property
    def ok(self) -> bool:
        return not (self.lost or self.stuck or self.duplicated or self.server_errors or self.parked
                    or self.during_fault == 0)

    def line(self) -> str:
        verdict = "ok" if self.ok else "FAILED"
        text = (f"{self.name:<28} accepted {self.accepted:>4}  lost {self.lost}  duplicated {self.duplicated}  "
                f"stuck {self.stuck}  500s {self.server_errors}  parked {self.parked}"
                + (f"  during the fault {self.during_fault}" if self.during_fault is not None else "")
                + f"  {verdict}"
                + ("  (lost/duplicated: " + ", ".join(f"{effect} {lost}/{doubled}" for effect, (lost, doubled)
                                                      in sorted(self.effects.items(), key=_effect_order)) + ")"
                   if self.effects else ""))
        return text + "".join(f"\n    {note}" for note in self.notes)


EFFECTS = ("published", "notified", "e-mailed", "KPI", "stream")


def _effect_order(item: tuple[str, list[int]]) -> int:
    return EFFECTS.index(item[0]) if item[0] in EFFECTS else len(EFFECTS)


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
          parked: int, expected_parked: int = 0, settle_seconds: float = 60.0,
          mail: "MailProbe | None" = None, stream: "StreamProbe | None" = None) -> Audit:
    """Wait until the accepted writes have had their effects (or `settle_seconds`
    pass), then count what is missing, doubled or stuck. `mail` and `stream`,
    when given, add the e-mails and the analytics stream to the effects."""
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
    result.count("published")
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
            result.count("published", lost=1)
            result.notes.append(f"lost: post {post_id}")
        else:
            result.stuck += 1
            result.notes.append(f"stuck: post {post_id} is {answer.json().get('status')}")

    # Not twice: the titles carry the run's marker and a sequence number, so a
    # write done twice shows as the same title twice under its author.
    authors = {q.author_id: q.author_headers for q in questions}
    authors.update({author_id: headers for author_id, headers, _ in ledger.uncertain_questions})
    uncertain_titles = {title for _, _, title in ledger.uncertain_questions}
    uncertain_done = 0
    for author_id, headers in authors.items():
        titles = Counter(post["title"] for post in _pages(client, "/v1/posts", headers, {"author": author_id})
                         if marker in post["title"])
        doubled = {title: n for title, n in titles.items() if n > 1}
        result.count("published", duplicated=sum(n - 1 for n in doubled.values()))
        result.notes.extend(f"duplicated: {n} × {title!r}" for title, n in doubled.items())
        uncertain_done += sum(1 for title in titles if title in uncertain_titles)
    if ledger.uncertain_questions or ledger.uncertain_comments:
        result.notes.append(f"uncertain (no final answer after the load's retries): "
                            f"{len(ledger.uncertain_questions)} questions ({uncertain_done} done), "
                            f"{sum(ledger.uncertain_comments.values())} comments")

    # Each comment notifies the question's author exactly once.
    expected = Counter(c.post_id for c in comments)
    by_author = {q.author_id: q.author_headers for q in questions if q.post_id in expected}
    seen: Counter = Counter()
    notification_ids: dict[str, list[str]] = {}
    while time.monotonic() < deadline or not seen:
        seen, notification_ids = Counter(), defaultdict(list)
        for headers in by_author.values():
            for item in _pages(client, "/v1/notifications", headers):
                if item["type"] == "comment_on_post" and item["link"]:
                    post_id = item["link"].rsplit("/", 1)[-1]
                    seen[post_id] += 1
                    notification_ids[post_id].append(item["id"])
        if all(seen[post_id] >= n for post_id, n in expected.items()):
            break
        time.sleep(1)
    result.count("notified")
    for post_id, n in expected.items():
        if seen[post_id] < n:
            result.count("notified", lost=n - seen[post_id])
            result.notes.append(f"lost: {n - seen[post_id]} of {n} comment notifications on post {post_id}")
        elif seen[post_id] > n + ledger.uncertain_comments[post_id]:
            # A comment the load never got an answer for may exist, and notify.
            result.count("notified", duplicated=seen[post_id] - n - ledger.uncertain_comments[post_id])
            result.notes.append(f"duplicated: {seen[post_id] - n} comment notifications on post {post_id}")

    # Each of those notifications e-mailed once (the members chose e-mail for
    # comments, see load.enrol): the SMTP server's messages, matched by the
    # Message-ID the platform derives from the notification's id.
    if mail is not None:
        wanted = [nid for post_id in expected for nid in notification_ids.get(post_id, [])]
        mailed = mail.wait_for(wanted, deadline)
        result.count("e-mailed")
        for nid in wanted:
            if mailed[nid] != 1:
                result.count("e-mailed", lost=int(mailed[nid] == 0), duplicated=max(0, mailed[nid] - 1))
                result.notes.append(f"e-mailed {mailed[nid]} times: notification {nid}")

    # Counted once in the agency's KPIs: the accepted questions, and those
    # done although the load never learned it (found above by their title).
    done = len(questions) + uncertain_done
    counted = kpi.wait_for(done, deadline)
    result.count("KPI")
    if counted < done:
        result.count("KPI", lost=done - counted)
        result.notes.append(f"KPI: {counted} questions counted for {done} made")
    elif counted > done:
        result.count("KPI", duplicated=counted - done)
        result.notes.append(f"KPI: {counted} questions counted for {done} made")

    # Once in the analytics stream: each accepted question's post_created and
    # comment's comment_created under exactly one event id.
    if stream is not None:
        wanted_things = ([("posts.post_created", "post_id", q.post_id) for q in questions]
                         + [("posts.comment_created", "comment_id", c.comment_id) for c in comments])
        found = stream.wait_for(wanted_things, deadline)
        result.count("stream")
        for (event_type, _field, thing_id), event_ids in zip(wanted_things, found):
            if len(event_ids) != 1:
                result.count("stream", lost=int(not event_ids), duplicated=max(0, len(event_ids) - 1))
                result.notes.append(f"stream: {event_type} of {thing_id} under {len(event_ids)} event ids")
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


# The Message-ID of a notification's e-mail (services/notifications/emails.py).
_NOTIFICATION_MESSAGE_ID = re.compile(r"<notification\.([0-9a-f-]{36})@")


class MailProbe:
    """The SMTP sink's messages (one .eml file each, services/notifications/
    smtp_sink.py) received since the probe was made, counted by the
    notification each one is the e-mail of."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        # The sink of `make up` keeps every e-mail ever sent: only newer files count.
        self.since = time.time() - 1

    def read(self) -> Counter:
        mailed: Counter = Counter()
        parser = BytesHeaderParser()
        for path in self.directory.glob("*.eml"):
            try:
                if path.stat().st_mtime < self.since:
                    continue
                with path.open("rb") as file:
                    headers = parser.parse(file)
            except FileNotFoundError:
                continue
            match = _NOTIFICATION_MESSAGE_ID.search(str(headers.get("Message-ID", "")))
            if match:
                mailed[match.group(1)] += 1
        return mailed

    def wait_for(self, notification_ids: list[str], deadline: float) -> Counter:
        mailed = self.read()
        while any(mailed[n] < 1 for n in notification_ids) and time.monotonic() < deadline:
            time.sleep(1)
            mailed = self.read()
        return mailed


class StreamProbe:
    """The analytics stream read as the data team reads it (tools/datastream:
    its broker user, from a point in time), its messages grouped by the
    keyed id of the thing they are about: the ledger knows raw ids, and keys
    them with the platform's pseudonym key (docs/stream/README.md)."""

    def __init__(self, amqp_uri: str, thing_key: Callable[[str], str], queue: str = "analytics.stream.v2"):
        self.amqp_uri, self.thing_key, self.queue = amqp_uri, thing_key, queue
        # A point in time is placed to the chunk: a little earlier is harmless.
        self.since = datetime.now().astimezone() - timedelta(seconds=5)

    def read(self) -> dict[tuple[str, str, str], set[str]]:
        from tools.datastream import reader

        found: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        for message in reader.read(self.amqp_uri, self.since, self.queue, idle_seconds=2.0):
            body = message.body
            for field_name in ("post_id", "comment_id"):
                key = (body.get("payload") or {}).get(field_name)
                if key:
                    found[(body.get("event_type"), field_name, key)].add(body.get("event_id"))
        return found

    def wait_for(self, things: list[tuple[str, str, str]], deadline: float) -> list[set[str]]:
        """For each (event type, id field, raw id): the event ids the stream holds."""
        keyed = [(event_type, field_name, self.thing_key(thing_id)) for event_type, field_name, thing_id in things]
        while True:
            found = self.read()
            if all(found.get(k) for k in keyed) or time.monotonic() >= deadline:
                return [found.get(k, set()) for k in keyed]
            time.sleep(2)
