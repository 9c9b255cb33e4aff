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


class FakeMemberCopy:
    """Any service's copy of members (shared/db/members.py), in memory, with
    the same order-proof rules as the SQL (tests/integration/test_member_copy.py
    proves those on PostgreSQL)."""

    def __init__(self, model):
        self.model = model
        self.columns = set(model.__table__.columns.keys())
        self.rows: dict[uuid.UUID, object] = {}

    def get(self, user_id):
        return self.rows.get(user_id)

    def live(self, user_id):
        row = self.rows.get(user_id)
        return row if row is not None and row.erased_at is None else None

    def get_many(self, user_ids):
        return {i: self.rows[i] for i in set(user_ids) if i in self.rows}

    def names(self, user_ids) -> dict:
        return {i: row.display_name for i, row in self.get_many(user_ids).items() if row.erased_at is None}

    def _apply(self, event, names) -> None:
        from shared.db.members import REGISTRATION_FIELDS, version_of

        user_id, version = uuid.UUID(event.user_id), version_of(event)
        row = self.rows.get(user_id)
        if row is None:
            row = self.rows[user_id] = self.model(**{c: None for c in self.columns})
            row.id, row.version = user_id, version
        elif row.erased_at is not None:
            return
        newer = row.version <= version
        for name in names:
            if name in self.columns and hasattr(event, name) and (name in REGISTRATION_FIELDS or newer):
                value = getattr(event, name)
                setattr(row, name, list(value) if isinstance(value, (list, tuple)) else value)
        row.version = max(row.version, version)

    def add(self, user_id, display_name, role, agency_code, email="membre@exemple.fr") -> None:
        """A member registered (a test's given)."""
        from datetime import datetime, timezone

        from shared.contracts.identity import UserRegistered

        self.remember(UserRegistered(user_id=str(user_id), email=email, display_name=display_name, role=role,
                                     agency_code=agency_code, registered_at=datetime.now(timezone.utc)))

    def remember(self, event) -> None:
        from shared.db.members import PROFILE_FIELDS, REGISTRATION_FIELDS

        self._apply(event, REGISTRATION_FIELDS + PROFILE_FIELDS)

    def rename(self, event) -> None:
        from shared.db.members import PROFILE_FIELDS

        self._apply(event, PROFILE_FIELDS)

    def erase(self, event) -> None:
        from shared.db.members import version_of

        user_id = uuid.UUID(event.user_id)
        row = self.rows.get(user_id)
        if row is None:
            row = self.rows[user_id] = self.model(**{c: None for c in self.columns})
            row.id, row.version = user_id, 0
        for column in self.columns - {"id", "version", "erased_at"}:
            setattr(row, column, None)
        row.erased_at = row.erased_at or event.erased_at
        row.version = max(row.version, version_of(event))


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

    def claim_all(self, consumer: str, event_ids) -> set:
        return {event_id for event_id in event_ids if self.claim(consumer, event_id)}

    def forget_published_events(self) -> None:
        self.forgot_published_events = True

    def read_only(self) -> None:
        self.read_only_used = True

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

    @staticmethod
    def _active_at(u):
        return u.last_active_at or u.created_at

    def to_warn(self, inactive_since, limit):
        found = [u for u in self.rows.values()
                 if u.status != "erased" and u.inactivity_warned_at is None and self._active_at(u) < inactive_since]
        return sorted(found, key=self._active_at)[:limit]

    def to_erase(self, warned_before, limit):
        found = [u for u in self.rows.values()
                 if u.status != "erased" and u.inactivity_warned_at is not None
                 and u.inactivity_warned_at < warned_before and self._active_at(u) <= u.inactivity_warned_at]
        return sorted(found, key=lambda u: u.inactivity_warned_at)[:limit]


class FakeLoginFailures:
    def __init__(self):
        self.rows: list[tuple[int, str, object]] = []
        self.locked: list[list[str]] = []
        self._ids = 0

    def lock(self, keys) -> None:
        self.locked.append(list(keys))

    def times(self, key, since):
        return [at for _, k, at in self.rows if k == key and at > since]

    def add(self, key, at) -> int:
        self._ids += 1
        self.rows.append((self._ids, key, at))
        return self._ids

    def release(self, ids) -> None:
        self.rows = [row for row in self.rows if row[0] not in set(ids)]

    def clear(self, key) -> None:
        self.rows = [row for row in self.rows if row[1] != key]

    def purge_before(self, before) -> None:
        self.rows = [row for row in self.rows if row[2] >= before]


class FakeInvitations:
    def __init__(self):
        self.rows: dict[str, object] = {}

    def add(self, invitation) -> None:
        self.rows[invitation.code] = invitation

    def get_for_update(self, code):
        return self.rows.get(code)

    def page(self, agency_code, active_at, after, limit):
        found = sorted(
            (i for i in self.rows.values()
             if (agency_code is None or i.agency_code == agency_code)
             and (active_at is None or (getattr(i, "revoked_at", None) is None and i.uses < i.max_uses
                                        and i.expires_at > active_at))
             and (after is None or (i.created_at, i.code) < after)),
            key=lambda i: (i.created_at, i.code), reverse=True,
        )
        return found[: limit + 1]
    def addressed_to(self, email):
        return [i for i in self.rows.values() if i.email == email]

    def forget_address(self, email, now) -> None:
        for i in self.addressed_to(email):
            i.email, i.expires_at = None, min(i.expires_at, now)


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


class FakeSessions:
    """Keyset pages are SQL too (tests/integration/test_identity_accounts.py)."""

    def __init__(self):
        self.rows: dict[uuid.UUID, object] = {}

    def add(self, login) -> None:
        self.rows[login.id] = login

    def get(self, session_id):
        return self.rows.get(session_id)

    def live_page(self, user_id, now, used_since, after, limit):
        found = sorted(
            (s for s in self.rows.values()
             if s.user_id == user_id and s.revoked_at is None and s.expires_at > now and s.last_used_at > used_since
             and (after is None or (s.created_at, s.id) < after)),
            key=lambda s: (s.created_at, s.id), reverse=True,
        )
        return found[: limit + 1]

    def live_ids_of(self, user_id, now):
        return [s.id for s in self.rows.values() if s.user_id == user_id and s.revoked_at is None and s.expires_at > now]

    def revoke(self, session_id, now) -> None:
        login = self.rows.get(session_id)
        if login is not None and login.revoked_at is None:
            login.revoked_at = now

    def delete_of(self, user_id) -> None:
        self.rows = {k: s for k, s in self.rows.items() if s.user_id != user_id}

    def purge_ended_before(self, before) -> None:
        self.rows = {k: s for k, s in self.rows.items()
                     if not (s.expires_at < before or (s.revoked_at and s.revoked_at < before) or s.last_used_at < before)}

    def of_user(self, user_id):
        return sorted((s for s in self.rows.values() if s.user_id == user_id), key=lambda s: s.created_at)


class FakeAuthTokens:
    def __init__(self):
        self.rows: dict[str, object] = {}

    def add(self, token) -> None:
        self.rows[token.token_hash] = token

    def get_for_update(self, token_hash):
        return self.rows.get(token_hash)

    def spend_all_of(self, user_id, purpose, now) -> None:
        for t in self.rows.values():
            if t.user_id == user_id and t.purpose == purpose and t.used_at is None:
                t.used_at = now

    def purge_before(self, before) -> None:
        self.rows = {k: t for k, t in self.rows.items() if t.expires_at >= before}


class FakeIdentityEmails:
    """identity's `emails`; `claim_next` skips nothing (one sender in a unit test)."""

    def __init__(self):
        self.rows: list = []

    def add(self, email) -> None:
        self.rows.append(email)

    def claim_next(self, now):
        due = [e for e in self.rows if e.status == "pending" and e.next_attempt_at <= now]
        return min(due, key=lambda e: e.next_attempt_at) if due else None

    def of_user(self, user_id):
        return [e for e in self.rows if e.user_id == user_id]

    def delete_of(self, user_id) -> None:
        self.rows = [e for e in self.rows if e.user_id != user_id]

    def purge_done_before(self, before) -> None:
        self.rows = [e for e in self.rows if e.status == "pending" or e.created_at >= before]


class FakeIdentityUnitOfWork(FakeUnitOfWork):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.sessions = FakeSessions()
        self.auth_tokens = FakeAuthTokens()
        self.emails = FakeIdentityEmails()
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
    """Keyset pages, search and feed are SQL: tests/integration/test_posts_reading.py."""

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

    def settle_screening(self, post_id, status, reason, now):
        # PostRepository.settle_screening: one UPDATE of a pending post with nothing else to merge.
        post = self.rows.get(post_id)
        if (post is None or post.status != "pending" or post.screenings_received + 1 < post.revision
                or post.screening_decision is not None or post.screening_reasons):
            return None
        post.status, post.updated_at, post.moderation_reason = status, now, reason
        if status == "published":
            post.published_at = post.published_at or now
        post.screenings_received += 1
        return post.author_id, post.agency_code, post.kind, post.topics

    def views(self, ids, viewer_id):
        from services.posts.views import view_row

        mine = self.reactions.of_user(viewer_id, list(ids))
        return [view_row(self.rows[i], self.authors.get(self.rows[i].author_id), mine.get(i, [])) for i in ids if i in self.rows]

    def by_author(self, author_id):
        return sorted((p for p in self.rows.values() if p.author_id == author_id), key=lambda p: p.created_at)

    def rekey_author(self, author_id, new_id) -> int:
        mine = [p for p in self.rows.values() if p.author_id == author_id]
        for p in mine:
            p.author_id = new_id
        return len(mine)

    def add_to_comment_count(self, post_id, delta) -> None:
        self.rows[post_id].comment_count += delta

    def add_to_reactions(self, post_id, reaction_type, delta) -> None:
        post = self.rows[post_id]
        setattr(post, f"reactions_{reaction_type}", getattr(post, f"reactions_{reaction_type}") + delta)


class FakeComments:
    def __init__(self):
        self.rows: dict[uuid.UUID, object] = {}

    def add(self, comment) -> None:
        self.rows[comment.id] = comment

    def get(self, comment_id):
        return self.rows.get(comment_id)

    def get_for_update(self, comment_id):
        return self.rows.get(comment_id)

    def screen(self, comment_id, status, reason, now):
        # CommentRepository.screen: a pending comment moved on, counted on its post when published.
        comment = self.rows.get(comment_id)
        if comment is None or comment.status != "pending":
            return None
        comment.status, comment.updated_at, comment.moderation_reason = status, now, reason
        post = self.posts.rows[comment.post_id]
        if status == "published":
            comment.published_at = comment.published_at or now
            post.comment_count += 1
        return (comment.post_id, comment.author_id, comment.author_role, comment.created_at, post.agency_code,
                post.title, post.author_id, post.kind)

    def page(self, post_id, *, viewer_id, after=None, limit=20):
        found = sorted(
            (c for c in self.rows.values()
             if c.post_id == post_id and (c.status == "published" or c.author_id == viewer_id)
             and (after is None or (c.created_at, c.id) > after)),
            key=lambda c: (c.created_at, c.id),
        )
        return found[:limit]

    def by_author(self, author_id):
        return sorted((c for c in self.rows.values() if c.author_id == author_id), key=lambda c: c.created_at)

    def rekey_author(self, author_id, new_id) -> int:
        mine = [c for c in self.rows.values() if c.author_id == author_id]
        for c in mine:
            c.author_id = new_id
        return len(mine)


class FakeReactions:
    def __init__(self):
        self.rows: dict[tuple, object] = {}

    def add(self, post_id, user_id, reaction_type, now) -> bool:
        from services.posts.models import Reaction

        key = (post_id, user_id, reaction_type)
        if key in self.rows:
            return False
        self.rows[key] = Reaction(post_id=post_id, user_id=user_id, type=reaction_type, created_at=now)
        return True

    def remove(self, post_id, user_id, reaction_type) -> bool:
        return self.rows.pop((post_id, user_id, reaction_type), None) is not None

    def of_user(self, user_id, post_ids):
        found: dict = {}
        for (post_id, member, reaction_type) in self.rows:
            if member == user_id and post_id in post_ids:
                found.setdefault(post_id, []).append(reaction_type)
        return found

    def by_user(self, user_id):
        return [r for (_, member, _), r in self.rows.items() if member == user_id]

    def forget_user(self, user_id) -> int:
        mine = [key for key in self.rows if key[1] == user_id]
        for key in mine:
            del self.rows[key]
        return len(mine)


class FakeTopics:
    def __init__(self):
        self.rows: dict[str, object] = {}

    def all(self):
        return sorted(self.rows.values(), key=lambda t: (t.kind, t.label))

    def get(self, slug):
        return self.rows.get(slug)

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


class FakeMutes:
    def __init__(self):
        self.rows: dict[str, object] = {}

    def _row(self, sanction_id, user_id):
        from services.posts.models import Mute

        if sanction_id not in self.rows:
            self.rows[sanction_id] = Mute(sanction_id=sanction_id, user_id=user_id, expires_at=None, imposed=False,
                                          lifted_at=None)
        return self.rows[sanction_id]

    def imposed(self, sanction_id, user_id, expires_at) -> None:
        row = self._row(sanction_id, user_id)
        row.expires_at, row.imposed = expires_at, True

    def lifted(self, sanction_id, user_id, lifted_at) -> None:
        self._row(sanction_id, user_id).lifted_at = lifted_at

    def active(self, user_id, now):
        return [m for m in self.rows.values() if m.user_id == user_id and m.imposed and m.lifted_at is None
                and (m.expires_at is None or m.expires_at > now)]

    def of_user(self, user_id):
        return [m for m in self.rows.values() if m.user_id == user_id]

    def writer(self, user_id, now):
        # MuteRepository.writer: the writer's copy and the expiries of their mutes in force.
        return self.authors.get(user_id), [m.expires_at for m in self.active(user_id, now)]

    def forget_user(self, user_id) -> None:
        for key in [k for k, m in self.rows.items() if m.user_id == user_id]:
            del self.rows[key]


class FakePostsUnitOfWork(FakeUnitOfWork):
    def __init__(self, **kw):
        from services.posts.models import Author

        super().__init__(**kw)
        self.posts = FakePosts()
        self.comments = FakeComments()
        self.reactions = FakeReactions()
        self.topics = FakeTopics()
        self.authors = FakeMemberCopy(Author)
        self.mutes = FakeMutes()
        self.mutes.authors = self.authors
        self.posts.authors, self.posts.reactions = self.authors, self.reactions  # what views joins
        self.comments.posts = self.posts  # what screening a comment updates and reads


# ---------------------------------------------------------------- moderation


class FakeModerationCases:
    def __init__(self):
        self.rows: list[object] = []

    def add(self, case) -> None:
        self.rows.append(case)

    insert = add

    def get(self, case_id):
        return next((c for c in self.rows if c.id == case_id), None)

    get_for_update = get

    def open_for(self, target_type, target_id):
        return next(
            (c for c in self.rows if c.target_type == target_type and c.target_id == target_id and c.status == "open"),
            None,
        )

    def lock_if_open(self, case_id):
        case = self.get(case_id)
        return case if case is not None and case.status == "open" else None

    def last_decided_for(self, target_type, target_id):
        decided = [c for c in self.rows if c.target_type == target_type and c.target_id == target_id
                   and c.status == "decided"]
        return max(decided, key=lambda c: (c.decided_at is not None, c.decided_at or c.created_at), default=None)

    def count_open(self) -> int:
        return sum(1 for c in self.rows if c.status == "open")

    def queue(self, agency_code, all_agencies, limit, after=None):
        rows = [c for c in self.rows if c.status == "open" and (all_agencies or c.agency_code == agency_code)]
        rows.sort(key=lambda c: (c.opened_at or c.created_at, c.id), reverse=True)
        if after is not None:
            rows = [c for c in rows if (c.opened_at or c.created_at, c.id) < tuple(after)]
        return rows[:limit]

    def open_per_agency(self) -> dict:
        return dict(Counter(c.agency_code or "" for c in self.rows if c.status == "open"))

    def about_author(self, author_id):
        return [c for c in self.rows if c.author_id == author_id]

    def erase_author(self, author_id, excerpt) -> None:
        from services.moderation.models import ERASED_USER

        for c in self.about_author(author_id):
            c.author_id, c.excerpt = ERASED_USER, excerpt

    def close_open(self, author_id, target_types) -> None:
        for c in self.about_author(author_id):
            if c.target_type in target_types and c.status == "open":
                c.status = "closed"


class FakeModerationTargets:
    def __init__(self, activity, cases):
        self.rows: dict[tuple, object] = {}
        self.activity, self.cases = activity, cases  # screening reads the author's writing and the open case too

    def get(self, target_type, target_id):
        return self.rows.get((target_type, target_id))

    def lock(self, target_type, target_id):
        from services.moderation.models import Target

        return self.rows.setdefault(
            (target_type, target_id),
            Target(target_type=target_type, target_id=target_id, status="pending", status_at=None, title=None,
                   kind=None, author_id=None, agency_code=None, published_at=None, answered_at=None,
                   unanswered_flagged_at=None),
        )

    def set_status(self, target_type, target_id, status, at, **fields):
        target = self.lock(target_type, target_id)
        for name, value in fields.items():
            if value is not None:
                setattr(target, name, value)
        if target.status_at is None or target.status_at <= at:
            target.status, target.status_at = status, at
        return target.status

    def screening(self, target_type, target_id, *, post_id, author_id, agency_code, kind, title, at, recent_since):
        target = self.lock(target_type, target_id)
        target.post_id, target.author_id, target.agency_code = post_id, author_id, agency_code
        target.kind = kind if kind is not None else target.kind
        target.title = title if title is not None else target.title
        if target.status_at is None or target.status_at <= at:
            target.status, target.status_at = "pending", at
        open_case = self.cases.open_for(target_type, target_id)
        return ([a for a in self.activity.rows if a.author_id == author_id and a.at >= recent_since],
                open_case.id if open_case is not None else None)

    def unanswered_due(self, published_before, limit=100):
        return [
            t for t in self.rows.values()
            if t.target_type == "post" and t.kind == "question" and t.status == "published" and t.answered_at is None
            and t.unanswered_flagged_at is None and t.published_at is not None and t.published_at <= published_before
        ][:limit]

    def erase_author(self, author_id) -> None:
        from services.moderation.models import ERASED_USER

        for t in self.rows.values():
            if t.author_id == author_id:
                t.author_id = ERASED_USER


class FakeModerationReports:
    def __init__(self):
        self.rows: list[object] = []

    def add_once(self, report) -> bool:
        if any(r.reporter_id == report.reporter_id and (r.target_type, r.target_id) == (report.target_type, report.target_id)
               for r in self.rows):
            return False
        self.rows.append(report)
        return True

    def unresolved_for(self, target_type, target_id):
        return [r for r in self.rows if (r.target_type, r.target_id) == (target_type, target_id) and r.resolved_at is None]

    def by_reporter(self, reporter_id):
        return [r for r in self.rows if r.reporter_id == reporter_id]

    def erase_reporter(self, reporter_id) -> None:
        for r in self.by_reporter(reporter_id):
            r.reporter_id, r.detail = None, None


class FakeModerationSanctions:
    def __init__(self):
        self.rows: list[object] = []

    def add(self, sanction) -> None:
        self.rows.append(sanction)

    def expired(self, now, limit=100):
        return [s for s in self.rows if s.type in ("mute", "suspend") and s.lifted_at is None and s.expires_at <= now][:limit]

    def of_user(self, user_id):
        return [s for s in self.rows if s.user_id == user_id]

    def delete_of_user(self, user_id) -> None:
        self.rows = [s for s in self.rows if s.user_id != user_id]


class FakeModerationAppeals:
    def __init__(self):
        self.rows: list[object] = []

    def add(self, appeal) -> None:
        self.rows.append(appeal)

    def for_case(self, case_id):
        return next((a for a in self.rows if a.case_id == case_id), None)

    def for_cases(self, case_ids):
        return {a.case_id: a for a in self.rows if a.case_id in set(case_ids)}

    def by_appellant(self, user_id):
        return [a for a in self.rows if a.appellant_id == user_id]

    def erase_appellant(self, user_id, text) -> None:
        for a in self.by_appellant(user_id):
            a.appellant_id, a.text = None, text


class FakeModerationAudit:
    def __init__(self):
        self.rows: list[object] = []

    def add(self, entry) -> None:
        entry.id = len(self.rows) + 1
        self.rows.append(entry)

    def entries(self, target_id, agency_code, all_agencies, limit, before_id=None):
        rows = [
            e for e in reversed(self.rows)
            if (target_id is None or e.target_id == target_id) and (all_agencies or e.agency_code == agency_code)
            and (before_id is None or e.id < before_id)
        ]
        return rows[:limit]

    def by_actor(self, actor_id):
        return [e for e in self.rows if e.actor_id == actor_id]


class FakeModerationActivity:
    def __init__(self):
        self.rows: list[object] = []
        self.recorded: list[object] = []  # inserted at the commit, as the real one does
        self.locked: list[list] = []  # each call's authors not locked before (the real one: a statement)

    def lock_authors(self, author_ids) -> None:
        held = {a for call in self.locked for a in call}
        wanted = sorted({str(a) for a in author_ids} - held)
        if wanted:
            self.locked.append(wanted)

    def record(self, writing) -> None:
        self.recorded.append(writing)

    def recorded_since(self, author_id, since):
        return [a for a in self.recorded if a.author_id == author_id and a.at >= since]

    def write_recorded(self) -> None:
        self.rows.extend(self.recorded)
        self.recorded = []

    def prune(self, before) -> int:
        kept = [a for a in self.rows if a.at >= before]
        pruned, self.rows = len(self.rows) - len(kept), kept
        return pruned

    def delete_of_author(self, author_id) -> None:
        self.rows = [a for a in self.rows if a.author_id != author_id]


class FakeModerationUnitOfWork(FakeUnitOfWork):
    def __init__(self, **kw):
        from services.moderation.models import Member

        super().__init__(**kw)
        self.activity = FakeModerationActivity()
        self.cases = FakeModerationCases()
        self.targets = FakeModerationTargets(self.activity, self.cases)
        self.reports = FakeModerationReports()
        self.members = FakeMemberCopy(Member)
        self.sanctions = FakeModerationSanctions()
        self.appeals = FakeModerationAppeals()
        self.audit = FakeModerationAudit()
        self._after_commit = []

    def after_commit(self, action) -> None:
        self._after_commit.append(action)

    def commit(self) -> None:
        self.activity.write_recorded()
        super().commit()
        actions, self._after_commit = self._after_commit, []
        for action in actions:
            action()


# ---------------------------------------------------------------- analytics


class FakeFacts:
    """Facts in memory; `store` writes the derived changes too, as the real one does in its statement."""

    def __init__(self, clock, derived=None, erased=None, stream=None):
        self.rows: list[dict] = []
        self._clock = clock
        self.derived, self.erased, self.stream = derived, erased, stream

    def store(self, fact, changes=(), unless_erased=(), message=None):
        from services.analytics.repository import Stored

        found = self.erased.which(set(unless_erased)) if unless_erased else set()
        if found:
            return Stored(None, frozenset(found))
        if any(r["event_id"] == fact["event_id"] for r in self.rows):
            return Stored(None)
        recorded_at = self._clock()
        self.rows.append({**fact, "recorded_at": recorded_at})
        for change in changes:
            self.derived.apply(change)
        if message is not None:
            message = {**message, "recorded_at": recorded_at.isoformat().replace("+00:00", "Z")}
            self.stream.enqueue(message)
        return Stored(recorded_at, frozenset(), message)

    def in_order(self, batch_size=1000):
        return iter([dict(r) for r in self.rows])

    def about(self, pseudonym):
        import json

        return [dict(r) for r in self.rows if r["actor"] == pseudonym or pseudonym in json.dumps(r["payload"])]

    def replace_person(self, old, new) -> int:
        import json

        changed = 0
        for r in self.rows:
            text = json.dumps(r["payload"])
            if r["actor"] == old or old in text:
                r["actor"] = new if r["actor"] == old else r["actor"]
                r["payload"] = json.loads(text.replace(old, new))
                changed += 1
        return changed

    def count(self) -> int:
        return len(self.rows)


class FakeDerived:
    """The derived tables in memory, merged with the same rules as the SQL upserts."""

    def __init__(self):
        from services.analytics.projections import TABLES

        self.tables: dict[str, dict[tuple, dict]] = {name: {} for name in TABLES if name != "agencies"}
        self.queried: list[str | None] = []

    def apply(self, change) -> None:
        from services.analytics.projections import TABLES, merge_row

        if change.table == "agencies":
            return
        key = tuple(change.values[k] for k in TABLES[change.table]["key"])
        rows = self.tables[change.table]
        rows[key] = merge_row(change.table, rows.get(key), change.values)

    def clear(self) -> None:
        for rows in self.tables.values():
            rows.clear()

    def agency_of(self, person):
        row = self.tables["members"].get((person,))
        return row["agency_code"] if row else None

    def replace_person(self, old, new) -> None:
        from services.analytics.projections import PERSON_COLUMNS

        for table, columns in PERSON_COLUMNS.items():
            for row in self.tables[table].values():
                for column in columns:
                    if row.get(column) == old:
                        row[column] = new

    def dataset(self, since=None):
        from services.analytics.kpis import Dataset

        return Dataset(**{name: [dict(r) for r in rows.values()] for name, rows in self.tables.items()})

    def published_per_agency(self, agency_code=None) -> dict[str, int]:
        self.queried.append(agency_code)
        counts = Counter(
            r["agency_code"] or ""
            for r in self.tables["posts"].values()
            if r["first_published_at"] is not None and (agency_code is None or r["agency_code"] == agency_code)
        )
        return dict(counts)


class FakeAnalyticsAgencies:
    def __init__(self, regions: dict[str, str]):
        self.rows = dict(regions)

    def region_of(self, code):
        return self.rows.get(code)

    def regions(self):
        return dict(self.rows)


class FakeErased:
    def __init__(self):
        self.pseudonyms: set[str] = set()

    def add(self, pseudonym, at) -> None:
        self.pseudonyms.add(pseudonym)

    def which(self, pseudonyms):
        return set(pseudonyms) & self.pseudonyms


class FakeStreamOutbox:
    def __init__(self):
        self.messages: list[dict] = []
        self.queued = 0

    def enqueue(self, message) -> None:
        self.messages.append(message)

    def replace_person_in_unsent(self, old, new, keep_event_id) -> None:
        import json

        self.messages = [
            m if str(m["event_id"]) == str(keep_event_id) else json.loads(json.dumps(m).replace(old, new))
            for m in self.messages
        ]


class FakeAnalyticsUnitOfWork(FakeUnitOfWork):
    """Regions default to a few pilot agencies; stream messages count once committed."""

    REGIONS = {
        "HDF-LILLE": "Hauts-de-France", "HDF-ROUBAIX": "Hauts-de-France",
        "IDF-PARIS-11": "Île-de-France", "IDF-MONTREUIL": "Île-de-France", "OCC-TOULOUSE": "Occitanie",
    }

    def __init__(self, clock=None, **kw):
        from datetime import datetime, timezone

        super().__init__(**kw)
        self.derived = FakeDerived()
        self.agencies = FakeAnalyticsAgencies(self.REGIONS)
        self.erased = FakeErased()
        self.stream = FakeStreamOutbox()
        self.facts = FakeFacts(clock or (lambda: datetime.now(timezone.utc)), self.derived, self.erased, self.stream)


# ---------------------------------------------------------------- notifications


class FakeMembers(FakeMemberCopy):
    """notifications' copy of members."""

    def __init__(self):
        from services.notifications.models import Member

        super().__init__(Member)

    def advisors_of(self, agency_code) -> list[str]:
        return [str(m.id) for m in self.rows.values()
                if m.role == "advisor" and m.agency_code == agency_code and m.erased_at is None]

class FakeCommentPosts:
    def __init__(self):
        self.rows: dict[uuid.UUID, uuid.UUID] = {}

    def remember(self, comment_id, post_id) -> None:
        self.rows.setdefault(comment_id, post_id)

    def post_of(self, comment_id):
        return self.rows.get(comment_id)


class FakeNotifications:
    def __init__(self):
        self.rows: list[object] = []
        self._seq = 0

    def add(self, notification):
        if any(n.source_event_id == notification.source_event_id and n.user_id == notification.user_id
               for n in self.rows):
            return None
        self._seq += 1
        notification.seq = self._seq
        self.rows.append(notification)
        return notification

    def get(self, notification_id):
        return next((n for n in self.rows if n.id == notification_id), None)

    def _mine(self, user_id):
        return [n for n in self.rows if n.user_id == user_id and n.in_app]

    def page(self, user_id, unread_only, before_seq, limit):
        rows = [n for n in self._mine(user_id) if (not unread_only or n.read_at is None)
                and (before_seq is None or n.seq < before_seq)]
        return sorted(rows, key=lambda n: -n.seq)[:limit]

    def unread_count(self, user_id) -> int:
        return sum(1 for n in self._mine(user_id) if n.read_at is None)

    def mark_read(self, notification_id, user_id, now) -> bool:
        n = self.get(notification_id)
        if n is None or n.user_id != user_id or not n.in_app:
            return False
        n.read_at = n.read_at or now
        return True

    def mark_all_read(self, user_id, now) -> int:
        unread = [n for n in self.rows if n.user_id == user_id and n.read_at is None]
        for n in unread:
            n.read_at = now
        return len(unread)

    def since(self, user_id, after_seq, limit):
        return sorted((n for n in self._mine(user_id) if n.seq > after_seq), key=lambda n: n.seq)[:limit]

    def unread_between(self, user_id, start, end):
        rows = [n for n in self._mine(user_id) if n.read_at is None and start < n.created_at <= end]
        return sorted(rows, key=lambda n: -n.seq)

    def all_of(self, user_id):
        return sorted((n for n in self.rows if n.user_id == user_id), key=lambda n: n.seq)

    def delete_of(self, user_id) -> None:
        self.rows = [n for n in self.rows if n.user_id != user_id]


class FakePreferences:
    def __init__(self):
        self.rows: dict[uuid.UUID, object] = {}

    def get(self, user_id):
        return self.rows.get(user_id)

    def put(self, user_id, channels, digest, now) -> None:
        from services.notifications.models import Preference

        self.rows[user_id] = Preference(user_id=user_id, channels=channels, digest=digest, updated_at=now)

    def delete_of(self, user_id) -> None:
        self.rows.pop(user_id, None)


class FakeEmails:
    def __init__(self):
        self.rows: list[object] = []

    def add(self, email) -> None:
        self.rows.append(email)

    def next_due(self, now):
        due = [e for e in self.rows if e.status == "pending" and e.next_attempt_at <= now]
        return min(due, key=lambda e: e.next_attempt_at) if due else None

    def failed(self, ids=None):
        return [e for e in self.rows if e.status == "failed" and (ids is None or e.id in ids)]

    def of_user(self, user_id):
        return [e for e in self.rows if e.user_id == user_id]

    def delete_of(self, user_id) -> None:
        self.rows = [e for e in self.rows if e.user_id != user_id]


class FakeDigestRuns:
    def __init__(self):
        self.rows: dict[tuple[uuid.UUID, str], object] = {}

    def claim(self, user_id, period, now):
        from services.notifications.models import DigestRun

        if (user_id, period) in self.rows:
            return None
        run = DigestRun(user_id=user_id, period=period, ran_at=now, notification_count=0)
        self.rows[(user_id, period)] = run
        return run

    def last_before(self, user_id, period):
        times = [r.ran_at for (u, p), r in self.rows.items() if u == user_id and p != period]
        return max(times) if times else None

    def of_user(self, user_id):
        return sorted((r for (u, _), r in self.rows.items() if u == user_id), key=lambda r: r.ran_at)

    def delete_of(self, user_id) -> None:
        self.rows = {k: r for k, r in self.rows.items() if k[0] != user_id}


class FakeNotificationsUnitOfWork(FakeUnitOfWork):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.members = FakeMembers()
        self.comment_posts = FakeCommentPosts()
        self.notifications = FakeNotifications()
        self.preferences = FakePreferences()
        self.emails = FakeEmails()
        self.digests = FakeDigestRuns()


class FakeSmtpTransport:
    """Stands for SmtpTransport: fails with the errors queued in `failures`, then accepts."""

    def __init__(self, failures=()):
        self.failures = list(failures)
        self.sent: list = []
        self.attempts = 0

    def send(self, message) -> None:
        self.attempts += 1
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)


# ---------------------------------------------------------------- events


class FakeCalendarEvents:
    def __init__(self):
        self.rows: dict[uuid.UUID, object] = {}
        self.locked: list[uuid.UUID] = []

    def add(self, event) -> None:
        self.rows[event.id] = event

    def get(self, event_id):
        return self.rows.get(event_id)

    def get_for_update(self, event_id):
        self.locked.append(event_id)
        return self.rows.get(event_id)

    def search(self, *, starts_from, ends_after, starts_before, agency, topic, kind, after, limit, viewer=None):
        found = [
            e for e in self.rows.values()
            if (getattr(e, "text_moderation", None) is None or e.organizer_id == viewer)
            and (starts_from is None or e.starts_at >= starts_from)
            and (ends_after is None or e.ends_at > ends_after)
            and (starts_before is None or e.starts_at < starts_before)
            and (agency is None or e.agency_code == agency)
            and (topic is None or topic in e.topics)
            and (kind is None or e.kind == kind)
            and (after is None or (e.starts_at, e.id) > tuple(after))
        ]
        return sorted(found, key=lambda e: (e.starts_at, e.id))[:limit]

    def organized_by(self, user_id):
        return sorted((e for e in self.rows.values() if e.organizer_id == user_id), key=lambda e: e.starts_at)

    def forget_organizer(self, user_id) -> int:
        forgotten = 0
        for e in self.rows.values():
            if e.organizer_id == user_id:
                e.organizer_id = None
                forgotten += 1
            if e.cancelled_by == user_id:
                e.cancelled_by = None
        return forgotten


class FakeRegistrations:
    def __init__(self, events: FakeCalendarEvents):
        self.events = events
        self.rows: dict[uuid.UUID, object] = {}
        self._seq = 0

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def add(self, registration) -> None:
        self.rows[registration.id] = registration

    def delete(self, registration) -> None:
        self.rows.pop(registration.id, None)

    def _of(self, event_id, *statuses):
        return sorted(
            (r for r in self.rows.values() if r.event_id == event_id and (not statuses or r.status in statuses)),
            key=lambda r: r.seq,
        )

    def get_for(self, event_id, user_id):
        return next((r for r in self._of(event_id) if r.user_id == user_id), None)

    def count_confirmed(self, event_id) -> int:
        return len(self._of(event_id, "confirmed"))

    def counts(self, event_ids) -> dict:
        result: dict = {}
        for r in self.rows.values():
            if r.event_id in event_ids and r.status in ("confirmed", "waitlisted"):
                per_event = result.setdefault(r.event_id, {})
                per_event[r.status] = per_event.get(r.status, 0) + 1
        return result

    def waitlist_position(self, registration) -> int:
        return sum(1 for r in self._of(registration.event_id, "waitlisted") if r.seq <= registration.seq)

    def first_waitlisted(self, event_id):
        waiting = self._of(event_id, "waitlisted")
        return waiting[0] if waiting else None

    def active_user_ids(self, event_id):
        return [r.user_id for r in self._of(event_id, "confirmed", "waitlisted")]

    def of_event(self, event_id, after_seq, limit):
        rows = [r for r in self._of(event_id, "confirmed", "waitlisted") if after_seq is None or r.seq > after_seq]
        return rows[:limit]

    def _with_events(self, user_id, *statuses):
        pairs = [
            (r, self.events.rows[r.event_id]) for r in self.rows.values()
            if r.user_id == user_id and (not statuses or r.status in statuses)
        ]
        return sorted(pairs, key=lambda p: (p[1].starts_at, p[1].id))

    def of_user(self, user_id, after, limit):
        pairs = self._with_events(user_id, "confirmed", "waitlisted")
        return [p for p in pairs if after is None or (p[1].starts_at, p[1].id) > tuple(after)][:limit]

    def all_of_user(self, user_id):
        return self._with_events(user_id)

    def claim_due_reminders(self, now, window_end, limit):
        due = [
            (r, self.events.rows[r.event_id]) for r in sorted(self.rows.values(), key=lambda r: r.seq)
            if r.status == "confirmed" and r.reminder_sent_at is None
            and self.events.rows[r.event_id].status == "scheduled"
            and now < self.events.rows[r.event_id].starts_at <= window_end
        ]
        return due[:limit]


class FakeEventsUnitOfWork(FakeUnitOfWork):
    def __init__(self, **kw):
        from services.events.models import Member

        super().__init__(**kw)
        self.calendar_events = FakeCalendarEvents()
        self.registrations = FakeRegistrations(self.calendar_events)
        self.members = FakeMemberCopy(Member)


# ---------------------------------------------------------------- mentoring


class FakeMentors:
    def __init__(self):
        self.rows: dict[uuid.UUID, object] = {}
        self.locked: list[uuid.UUID] = []

    def add(self, mentor) -> None:
        from services.mentoring.repository import Duplicate

        if any(m.user_id == mentor.user_id for m in self.rows.values()):
            raise Duplicate()
        self.rows[mentor.id] = mentor

    def get(self, mentor_id):
        return self.rows.get(mentor_id)

    def get_for_update(self, mentor_id):
        self.locked.append(mentor_id)
        return self.rows.get(mentor_id)

    def by_user(self, user_id):
        return next((m for m in self.rows.values() if m.user_id == user_id), None)

    def search(self, topic, after, limit):
        found = [
            m for m in self.rows.values()
            if m.status == "active" and (topic is None or topic in m.topics)
            and (after is None or (m.created_at, m.id) < tuple(after))
        ]
        return sorted(found, key=lambda m: (m.created_at, m.id), reverse=True)[:limit]


class FakeMentoringRequests:
    def __init__(self):
        self.rows: dict[uuid.UUID, object] = {}

    def add(self, request) -> None:
        from services.mentoring.repository import Duplicate

        if self.open_between(request.mentor_id, request.mentee_id) is not None:
            raise Duplicate()
        self.rows[request.id] = request

    def get(self, request_id):
        return self.rows.get(request_id)

    def get_for_update(self, request_id):
        return self.rows.get(request_id)

    def open_between(self, mentor_id, mentee_id):
        return next(
            (r for r in self.rows.values()
             if r.mentor_id == mentor_id and r.mentee_id == mentee_id and r.status in ("pending", "active")),
            None,
        )

    def count_active(self, mentor_id) -> int:
        return sum(1 for r in self.rows.values() if r.mentor_id == mentor_id and r.status == "active")

    def active_counts(self, mentor_ids) -> dict:
        return {m: self.count_active(m) for m in mentor_ids if self.count_active(m)}

    def of_member(self, user_id, role, status, after, limit):
        found = [
            r for r in self.rows.values()
            if ((role != "mentor" and r.mentee_id == user_id)
                or (role != "mentee" and r.mentor_user_id == user_id and getattr(r, "message_moderation", None) is None))
            and (status is None or r.status == status)
            and (after is None or (r.created_at, r.id) < tuple(after))
        ]
        return sorted(found, key=lambda r: (r.created_at, r.id), reverse=True)[:limit]

    def all_of_member_for_update(self, user_id):
        return sorted(
            (r for r in self.rows.values() if user_id in (r.mentee_id, r.mentor_user_id)), key=lambda r: r.created_at
        )

    def claim_due(self, now, limit):
        due = [r for r in self.rows.values() if r.status == "active" and r.ends_at <= now]
        return sorted(due, key=lambda r: r.ends_at)[:limit]


class FakeMentoringUnitOfWork(FakeUnitOfWork):
    def __init__(self, **kw):
        from services.mentoring.models import Member

        super().__init__(**kw)
        self.mentors = FakeMentors()
        self.requests = FakeMentoringRequests()
        self.members = FakeMemberCopy(Member)
