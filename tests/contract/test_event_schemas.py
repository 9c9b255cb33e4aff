"""Event contracts are published as JSON Schemas; a change needs a new version."""
from datetime import datetime, timezone

from shared.contracts import ALL_EVENTS, Envelope
from shared.contracts.posts import PostCreated
from shared.contracts.schemas import SCHEMA_DIR, problems, schema_file_name


def test_every_contract_matches_its_published_schema():
    assert problems() == []


def test_a_changed_contract_without_a_version_bump_is_caught():
    class PostCreatedWithMore(PostCreated):
        event_type = "posts.post_created"
        version = 1
        sentiment: str = "neutral"

    found = problems(events=(PostCreatedWithMore,))
    assert len(found) == 1 and "needs a new version" in found[0]


def test_the_same_change_with_a_new_version_needs_its_own_schema(tmp_path):
    class PostCreatedV2(PostCreated):
        event_type = "posts.post_created"
        version = 2
        sentiment: str = "neutral"

    assert "is not published" in problems(events=(PostCreatedV2,), directory=tmp_path)[0]


def test_event_types_follow_the_naming_rule():
    for cls in ALL_EVENTS:
        service, name = cls.event_type.split(".")
        assert service and "_" in name, cls.event_type
        assert (SCHEMA_DIR / schema_file_name(cls)).exists()


def test_envelope_carries_what_the_design_requires():
    event = PostCreated(
        post_id="p", author_id="a", agency_code=None, kind="question", title="t", body="b", topics=[],
        created_at=datetime.now(timezone.utc),
    )
    envelope = Envelope.wrap(event, correlation_id="req-1").model_dump(mode="json")
    assert set(envelope) == {"event_id", "event_type", "version", "occurred_at", "producer", "correlation_id", "payload"}
    assert envelope["producer"] == "posts" and envelope["event_type"] == "posts.post_created"
