"""The service chassis: one service per module for `nameko run`, a health
check for each, events handled once with their effect in one transaction."""
import uuid
from datetime import datetime, timezone

import pytest
from nameko.cli.run import import_service
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from shared.chassis import Collaborator, Service, handles, handles_batches
from shared.contracts import Envelope
from shared.contracts.identity import UserErased
from shared.db.unit_of_work import SqlUnitOfWork
from shared.observability.logging import correlation_id
from stack.services import SERVICES, service_class


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_nameko_run_finds_exactly_one_service_in_each_service_module(name):
    module = SERVICES[name].split(":")[0]
    assert import_service(module) == [service_class(name)]


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_has_its_own_health_check_and_unit_of_work(name):
    cls = service_class(name)
    assert "health" in cls.__dict__ and getattr(cls.health, ENTRYPOINT_EXTENSIONS_ATTR)
    assert cls.uow.service == name


def test_the_base_has_no_entrypoint_so_importing_it_starts_nothing():
    assert not any(hasattr(getattr(Service, attr), ENTRYPOINT_EXTENSIONS_ATTR) for attr in dir(Service))


class FakeUnitOfWork:
    """Records what the chassis does with the worker's unit of work."""

    def __init__(self, seen=()):
        self.seen = set(seen)
        self.steps: list = []
        self.incoming = None

    def claim(self, consumer, event_id):
        self.steps.append(("claim", consumer))
        if event_id in self.seen:
            return False
        self.seen.add(event_id)
        return True

    def claim_all(self, consumer, event_ids):
        self.steps.append(("claim all", consumer, len(event_ids)))
        fresh = set(event_ids) - self.seen
        self.seen |= fresh
        return fresh

    def forget_published_events(self):
        self.steps.append("forget sent events")

    def commit(self):
        self.steps.append("commit")


class Probe(Service):
    name = "probe"
    unit_of_work = SqlUnitOfWork

    @handles("identity", "user_erased")
    def on_user_erased(self, event):
        self.uow.steps.append(("handled", type(event).__name__, self.uow.incoming.event_type))


def erasure() -> dict:
    event = UserErased(user_id=str(uuid.uuid4()), erased_at=datetime.now(timezone.utc))
    return Envelope.wrap(event).model_dump(mode="json")


def probe_with(uow) -> Probe:
    probe = Probe.__new__(Probe)
    probe.uow = uow
    return probe


def test_an_event_is_handled_with_its_typed_payload_then_committed_with_its_inbox_mark():
    uow = FakeUnitOfWork()
    probe_with(uow).on_user_erased(erasure())
    assert uow.steps == [
        ("claim", "probe.on_user_erased"),
        ("handled", "UserErased", "identity.user_erased"),
        "forget sent events",  # an erasure also forgets the events already sent (GDPR)
        "commit",
    ]


def test_an_event_handled_before_is_skipped():
    body = erasure()
    uow = FakeUnitOfWork(seen={uuid.UUID(body["event_id"])})
    probe_with(uow).on_user_erased(body)
    assert uow.steps == [("claim", "probe.on_user_erased")]


class BatchProbe(Service):
    name = "batchprobe"
    unit_of_work = SqlUnitOfWork

    @handles_batches("identity", "user_erased")
    def on_user_erased(self, event):
        self.uow.steps.append(("handled", event.user_id, self.uow.correlation_id, correlation_id.get()))


def test_a_batch_is_claimed_in_one_statement_handled_event_by_event_and_committed_once():
    first, second, seen_before = erasure(), erasure(), erasure()
    first["correlation_id"], second["correlation_id"] = "request-a", "request-b"
    uow = FakeUnitOfWork(seen={uuid.UUID(seen_before["event_id"])})
    uow.correlation_id = "request-a"  # the worker's: its first message's
    probe = BatchProbe.__new__(BatchProbe)
    probe.uow = uow
    probe.on_user_erased([first, seen_before, second, first])  # `first` twice: delivered again meanwhile
    # Each event is handled (its log lines, the events it records) under its own request's id.
    handled = [("handled", body["payload"]["user_id"], body["correlation_id"], body["correlation_id"])
               for body in (first, second)]
    assert uow.steps == [("claim all", "batchprobe.on_user_erased", 4),
                         handled[0], "forget sent events", handled[1], "forget sent events", "commit"]


def _before_the_batch(uow, events):
    uow.steps.append(("before", [event.user_id for event in events]))


class PreparedBatchProbe(Service):
    name = "preparedprobe"
    unit_of_work = SqlUnitOfWork

    @handles_batches("identity", "user_erased", before=_before_the_batch)
    def on_user_erased(self, event):
        self.uow.steps.append(("handled", event.user_id))


def test_a_batch_runs_its_before_step_once_with_the_events_not_handled_before():
    """moderation locks a batch's authors there, all in one order, before
    screening the first post."""
    first, second, seen_before = erasure(), erasure(), erasure()
    uow = FakeUnitOfWork(seen={uuid.UUID(seen_before["event_id"])})
    probe = PreparedBatchProbe.__new__(PreparedBatchProbe)
    probe.uow = uow
    probe.on_user_erased([first, seen_before, second, first])
    ids = [first["payload"]["user_id"], second["payload"]["user_id"]]
    assert uow.steps == [("claim all", "preparedprobe.on_user_erased", 4), ("before", ids),
                         ("handled", ids[0]), "forget sent events", ("handled", ids[1]), "forget sent events",
                         "commit"]


def test_nameko_checks_calls_against_the_entrypoints_signature():
    import inspect

    assert list(inspect.signature(Probe.on_user_erased).parameters) == ["self", "body"]


def test_a_collaborator_is_built_once_when_the_service_starts():
    built = []
    collaborator = Collaborator(lambda: built.append("x") or object())
    collaborator.setup()
    assert collaborator.get_dependency(None) is collaborator.get_dependency(None) and built == ["x"]


@pytest.mark.parametrize("name", ["posts", "moderation", "notifications", "events", "mentoring"])
def test_a_service_keeping_members_gets_their_registrations_and_renames_on_the_usual_queues(name):
    from shared.messaging.topology import subscriptions_of

    queues = {s.queue for s in subscriptions_of(service_class(name))}
    for event in ("user_registered", "profile_updated", "user_erased"):
        assert f"evt-identity-{event}--{name}.on_{event}" in queues


class Copy:
    def __init__(self):
        self.applied = []

    def remember(self, event):
        self.applied.append(("remember", event.display_name))

    def rename(self, event):
        self.applied.append(("rename", event.display_name))


class Keeper(Service):
    name = "keeper"
    unit_of_work = SqlUnitOfWork
    member_copy = "people"


def test_the_member_copy_is_kept_from_identitys_events_in_the_handlers_transaction():
    from shared.contracts.identity import ProfileUpdatedV2, UserRegisteredV2

    uow = FakeUnitOfWork()
    uow.people = Copy()
    keeper = Keeper.__new__(Keeper)
    keeper.uow = uow
    now = datetime.now(timezone.utc)
    keeper.on_profile_updated(Envelope.wrap(ProfileUpdatedV2(
        user_id="u1", display_name="Camille D.", topics=[], updated_at=now, member_version=2)).model_dump(mode="json"))
    keeper.on_user_registered(Envelope.wrap(UserRegisteredV2(
        user_id="u1", email="c@exemple.fr", display_name="Camille", role="job_seeker", agency_code=None,
        registered_at=now, member_version=1)).model_dump(mode="json"))
    assert uow.people.applied == [("rename", "Camille D."), ("remember", "Camille")]
    assert uow.steps.count("commit") == 2
    assert ("claim", "keeper.on_user_registered") in uow.steps
