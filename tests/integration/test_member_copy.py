"""Every service's copy of members is order-proof, on its real table
(migrated like a fresh install): events of one member handled in any order,
or replayed, leave the copy as the newest event says, and an erasure leaves
a tombstone that nothing brings back (shared/db/members.py)."""
import uuid
from datetime import datetime, timezone

import pytest

from services.events.repository import EventsUnitOfWork
from services.mentoring.repository import MentoringUnitOfWork
from services.moderation.repository import ModerationUnitOfWork
from services.notifications.repository import NotificationsUnitOfWork
from services.posts.repository import PostsUnitOfWork
from shared.contracts.identity import (
    ProfileUpdated,
    ProfileUpdatedV2,
    UserErasedV2,
    UserRegistered,
    UserRegisteredV2,
)
from shared.db.engine import unit_of_work

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
COPIES = {
    "posts": (PostsUnitOfWork, "authors"),
    "moderation": (ModerationUnitOfWork, "members"),
    "notifications": (NotificationsUnitOfWork, "members"),
    "events": (EventsUnitOfWork, "members"),
    "mentoring": (MentoringUnitOfWork, "members"),
}


@pytest.fixture(params=sorted(COPIES))
def handle(request, platform):
    """`handle(event)`: one event handled by this service's copy, in its own transaction."""
    service = request.param
    uow_class, attribute = COPIES[service]

    def apply(event):
        with unit_of_work(platform, service, uow_class) as uow:
            copy = getattr(uow, attribute)
            {"user_registered": copy.remember, "profile_updated": copy.rename, "user_erased": copy.erase}[
                event.routing_key()
            ](event)
            uow.commit()

    def row(user_id: str):
        with unit_of_work(platform, service, uow_class) as uow:
            found = getattr(uow, attribute).get(uuid.UUID(user_id))
            return None if found is None else {
                c: getattr(found, c, None) for c in ("display_name", "role", "agency_code", "version", "erased_at")
            }

    apply.row = row
    apply.keeps_names = service != "moderation"  # moderation keeps roles and agencies only
    return apply


def registered(user_id, version=1, name="Camille"):
    fields = dict(user_id=user_id, email="camille@exemple.fr", display_name=name, role="job_seeker",
                  agency_code="HDF-LILLE", registered_at=NOW)
    return UserRegisteredV2(**fields, member_version=version) if version else UserRegistered(**fields)


def renamed(user_id, name, version):
    fields = dict(user_id=user_id, display_name=name, topics=["logistique"], updated_at=NOW)
    return ProfileUpdatedV2(**fields, member_version=version) if version else ProfileUpdated(**fields)


def test_a_rename_handled_before_the_registration_is_not_lost(handle):
    member = str(uuid.uuid4())
    handle(renamed(member, "Camille D.", version=2))
    handle(registered(member, version=1))
    row = handle.row(member)
    assert (row["role"], row["agency_code"], row["version"]) == ("job_seeker", "HDF-LILLE", 2)
    if handle.keeps_names:
        assert row["display_name"] == "Camille D."


def test_an_older_rename_never_overwrites_a_newer_one(handle):
    member = str(uuid.uuid4())
    handle(registered(member))
    handle(renamed(member, "Nouveau nom", version=3))
    handle(renamed(member, "Ancien nom", version=2))
    if handle.keeps_names:
        assert handle.row(member)["display_name"] == "Nouveau nom"
    assert handle.row(member)["version"] == 3


def test_a_replayed_registration_after_an_erasure_does_not_bring_the_name_back(handle):
    member = str(uuid.uuid4())
    handle(registered(member))
    handle(UserErasedV2(user_id=member, erased_at=NOW, member_version=3))
    handle(registered(member))  # replayed from the dead letters, or late on its queue
    handle(renamed(member, "Camille", version=2))
    row = handle.row(member)
    assert row["erased_at"] == NOW and row["display_name"] is None and row["role"] is None
    assert row["version"] == 3


def test_an_erasure_handled_first_leaves_a_tombstone_no_later_event_fills(handle):
    member = str(uuid.uuid4())
    handle(UserErasedV2(user_id=member, erased_at=NOW, member_version=3))
    handle(registered(member, version=1))
    row = handle.row(member)
    assert row["erased_at"] == NOW and row["display_name"] is None and row["role"] is None


def test_version_1_events_still_apply_in_the_order_they_come(handle):
    member = str(uuid.uuid4())
    handle(registered(member, version=None))
    handle(renamed(member, "Camille D.", version=None))
    row = handle.row(member)
    assert row["role"] == "job_seeker" and row["version"] == 0
    if handle.keeps_names:
        assert row["display_name"] == "Camille D."
