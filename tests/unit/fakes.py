"""In-memory fakes for unit tests: no broker, no database.

`FakeUnitOfWork` mirrors `shared.db.unit_of_work.SqlUnitOfWork`: events are
recorded while the handler runs and only count as published once the unit of
work commits (the outbox row commits with the state change). Each service's
fake attaches repositories with the same method names as its
`services/<name>/repository.py`.
"""
from __future__ import annotations

import uuid
from collections import Counter

from shared.contracts import Envelope, EventPayload

# What the TokenIssuer of the unit tests signs for.
TOKEN_ISSUER = "platform-identity"
TOKEN_AUDIENCE = "platform-api"


class FakeUnitOfWork:
    def __init__(self, correlation_id: str | None = None):
        self.correlation_id = correlation_id
        self.events: list[EventPayload] = []  # recorded, not committed yet
        self.published: list[EventPayload] = []  # committed (written to the outbox)
        self.committed = False
        self.commits = 0
        self.rolled_back = False
        self._claimed: set[tuple[str, uuid.UUID]] = set()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        # Like SqlUnitOfWork: whatever was not committed is dropped.
        if self.events:
            self.rolled_back = True
        self.events = []

    def record(self, event: EventPayload) -> Envelope:
        envelope = Envelope.wrap(event, self.correlation_id)  # proves the event is serialisable
        self.events.append(event)
        return envelope

    def claim(self, consumer: str, event_id) -> bool:
        key = (consumer, uuid.UUID(str(event_id)))
        if key in self._claimed:
            return False
        self._claimed.add(key)
        return True

    def commit(self) -> None:
        self.committed = True
        self.commits += 1
        self.published.extend(self.events)
        self.events = []

    # helpers for assertions
    def all_events(self) -> list[EventPayload]:
        return [*self.published, *self.events]

    def published_of(self, cls: type[EventPayload]) -> list[EventPayload]:
        return [e for e in self.published if isinstance(e, cls)]


# ---------------------------------------------------------------- identity


class FakeAgencies:
    def __init__(self):
        self.rows: dict[str, object] = {}

    def all(self):
        return sorted(self.rows.values(), key=lambda a: (a.region, a.name))

    def get(self, code):
        return self.rows.get(code)

    def add(self, agency) -> None:
        self.rows[agency.code] = agency


class FakeUsers:
    def __init__(self):
        self.rows: dict[uuid.UUID, object] = {}

    def get(self, user_id):
        return self.rows.get(user_id)

    def by_email(self, email):
        return next((u for u in self.rows.values() if u.email == email), None)

    def add(self, user) -> None:
        self.rows[user.id] = user

    def get_for_update(self, user_id):
        return self.rows.get(user_id)

    def suspended(self, now):
        return [
            u for u in self.rows.values()
            if u.status == "suspended" and (u.suspended_until is None or u.suspended_until > now)
        ]

    def erased_since(self, since):
        return [u for u in self.rows.values() if u.status == "erased" and u.erased_at > since]


class FakeLoginFailures:
    def __init__(self):
        self.rows: list[tuple[str, object]] = []

    def times(self, key, since):
        return [at for k, at in self.rows if k == key and at > since]

    def add(self, key, at) -> None:
        self.rows.append((key, at))

    def clear(self, key) -> None:
        self.rows = [(k, at) for k, at in self.rows if k != key]

    def purge_before(self, before) -> None:
        self.rows = [(k, at) for k, at in self.rows if at >= before]


class FakeInvitations:
    def __init__(self):
        self.rows: dict[str, object] = {}

    def add(self, invitation) -> None:
        self.rows[invitation.code] = invitation

    def get_for_update(self, code):
        return self.rows.get(code)


class FakeRefreshTokens:
    def __init__(self):
        self.rows: dict[str, object] = {}

    def add(self, token) -> None:
        self.rows[token.token_hash] = token

    def get_for_update(self, token_hash):
        return self.rows.get(token_hash)

    def revoke_family(self, family_id, now) -> None:
        for t in self.rows.values():
            if t.family_id == family_id and t.revoked_at is None:
                t.revoked_at = now

    def revoke_all_of(self, user_id, now) -> None:
        for t in self.rows.values():
            if t.user_id == user_id and t.revoked_at is None:
                t.revoked_at = now

    def revoked_families_since(self, since):
        return list(dict.fromkeys(t.family_id for t in self.rows.values() if t.revoked_at and t.revoked_at > since))

    def of_user(self, user_id):
        return [t for t in self.rows.values() if t.user_id == user_id]


class FakeIdentityUnitOfWork(FakeUnitOfWork):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.agencies = FakeAgencies()
        self.users = FakeUsers()
        self.invitations = FakeInvitations()
        self.refresh_tokens = FakeRefreshTokens()
        self.login_failures = FakeLoginFailures()


class FakeHasher:
    """Fast stand-in for Argon2Hasher; remembers what it was asked to verify."""

    PREFIX = "fake$"

    def __init__(self, rehash: bool = False):
        self.rehash = rehash
        self.dummy_hash = self.PREFIX + "dummy password used to equalise timing"
        self.verified: list[tuple[str, str]] = []

    def hash(self, password: str) -> str:
        return self.PREFIX + password

    def verify(self, password_hash: str, password: str) -> bool:
        self.verified.append((password_hash, password))
        return password_hash == self.PREFIX + password

    def needs_rehash(self, password_hash: str) -> bool:
        return self.rehash


# ---------------------------------------------------------------- posts


class FakePosts:
    def __init__(self):
        self.rows: dict[uuid.UUID, object] = {}
        self.locked: list[uuid.UUID] = []

    def add(self, post) -> None:
        self.rows[post.id] = post

    def get(self, post_id):
        return self.rows.get(post_id)

    def get_for_update(self, post_id):
        self.locked.append(post_id)
        return self.rows.get(post_id)


class FakeTopics:
    def __init__(self):
        self.rows: dict[str, object] = {}

    def all(self):
        return sorted(self.rows.values(), key=lambda t: (t.kind, t.label))

    def existing(self, slugs):
        return {s for s in slugs if s in self.rows}

    def add_missing(self, topics) -> int:
        from services.posts.models import Topic

        added = 0
        for t in topics:
            if t["slug"] not in self.rows:
                self.rows[t["slug"]] = Topic(slug=t["slug"], label=t["label"], kind=t["kind"])
                added += 1
        return added


class FakeAuthors:
    def __init__(self):
        self.rows: dict[uuid.UUID, object] = {}

    def get(self, author_id):
        return self.rows.get(author_id)

    def upsert(self, author_id, display_name, role, agency_code) -> None:
        from services.posts.models import Author

        self.rows[author_id] = Author(id=author_id, display_name=display_name, role=role, agency_code=agency_code)


class FakePostsUnitOfWork(FakeUnitOfWork):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.posts = FakePosts()
        self.topics = FakeTopics()
        self.authors = FakeAuthors()


# ---------------------------------------------------------------- moderation


class FakeCases:
    def __init__(self):
        self.rows: list[object] = []

    def add(self, case) -> None:
        self.rows.append(case)

    def open_for(self, target_type, target_id):
        return next(
            (c for c in self.rows if c.target_type == target_type and c.target_id == target_id and c.status == "open"),
            None,
        )

    def count_open(self) -> int:
        return sum(1 for c in self.rows if c.status == "open")


class FakeModerationUnitOfWork(FakeUnitOfWork):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.cases = FakeCases()


# ---------------------------------------------------------------- analytics


class FakePostFacts:
    def __init__(self):
        self.rows: dict[uuid.UUID, dict] = {}
        self.queried: list[str | None] = []

    def upsert(self, post_id, agency_code, kind, **timestamps) -> None:
        row = self.rows.setdefault(
            post_id, {"agency_code": agency_code, "kind": kind, "created_at": None, "published_at": None}
        )
        row.update(timestamps)

    def published_per_agency(self, agency_code=None) -> dict[str, int]:
        self.queried.append(agency_code)
        counts = Counter(
            r["agency_code"] or ""
            for r in self.rows.values()
            if r["published_at"] is not None and (agency_code is None or r["agency_code"] == agency_code)
        )
        return dict(counts)


class FakeAnalyticsUnitOfWork(FakeUnitOfWork):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.post_facts = FakePostFacts()
