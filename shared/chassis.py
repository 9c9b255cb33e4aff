"""The service chassis: what every nameko service of the platform has, so its
`service.py` declares only what is particular to it.

    class PostsService(Service):
        name = "posts"
        unit_of_work = PostsUnitOfWork

        @rpc
        def create_post(self, data):
            return handlers.create_post(self.uow, self.caller, data, self.now())

        @handles("moderation", "content_screened")
        def on_content_screened(self, event):
            lifecycle.apply_screening(self.uow, event, self.now())

A subclass of `Service` gets `self.uow` (a unit of work per entrypoint, on
its own database, with the outbox relay), `self.caller` (who calls, from the
gateway's context), the entrypoint observer (metrics, logs), its broker topology declared
each time it starts (`ServiceTopology`), `self.now()` and a `health()` RPC.
RPC entrypoints use `rpc` from here (`shared.messaging.rpc.PlatformRpc`:
a transient failure is answered as TemporarilyUnavailable, a 503; the queue
is a quorum queue; a request that does not decode is parked). A service that keeps a copy of members names the
unit of work's attribute holding it (`member_copy = "members"`): the
chassis keeps it from identity's user_registered and profile_updated
(`on_user_registered`, `on_profile_updated`); the service's own
`on_user_erased` does its cleanup and erases the copy's row. Collaborators (a hasher, screening rules...) are
`Collaborator(factory)`: built once when the service starts, so a bad
configuration stops it at once.

An event handler on the path of every post written is `@handles_batches`:
the events that arrive together run in one worker and one transaction
(shared/messaging/batching.py); its method must not commit.

A creating RPC entrypoint (one behind a gateway POST that answers 201) is
decorated `@creates` under `@rpc`: with an Idempotency-Key it does its work
once per key (shared/db/idempotency.py), and such a service gets a timer
purging keys past their 24 hours and forgets an erased member's keys.

`Service` itself has no entrypoint: `nameko run <module>` starts every class
of the module's namespace that has one, and `Service` is imported by name
into every service module. `health` is given to each subclass when it is
defined (`__init_subclass__`), never to `Service`.
"""
import functools
import logging
from datetime import datetime, timezone

from nameko.extensions import DependencyProvider
from nameko.timer import timer
from sqlalchemy import text

from shared.contracts import Envelope, parse_payload
from shared.db import idempotency
from shared.db.nameko import UnitOfWorkProvider
from shared.messaging.batching import batched_event_handler
from shared.messaging.consumer import event_handler
from shared.messaging.json_codec import use_orjson_for_json
from shared.messaging.topology import declare_service
from shared.messaging.rpc import (  # noqa: F401 (services take rpc from here)
    CallerProvider, IdempotencyKeyProvider, publish_replies_without_confirms, rpc,
)
from shared.observability import logging as platform_logging
from shared.observability import metrics
from shared.observability.entrypoints import EntrypointObserver

log = logging.getLogger(__name__)

publish_replies_without_confirms()  # replies need no broker round trip each (shared/messaging/rpc.py)
use_orjson_for_json()  # the same JSON, encoded and decoded a few times faster (shared/messaging/json_codec.py)

# Expired keys go within the hour after their 24 hours (the contract only
# promises a replay inside the 24 hours; an expired row found first is ignored).
IDEMPOTENCY_PURGE_SECONDS = 3600

# Sent events may carry the member's data: handling an erasure forgets them (GDPR).
ERASURE_EVENT = "identity.user_erased"


class Collaborator(DependencyProvider):
    """`hasher = Collaborator(make_hasher)`: `factory()` is called once when
    the service starts; every worker gets the same object."""

    def __init__(self, factory):
        self.factory = factory

    def setup(self):
        self.instance = self.factory()

    def get_dependency(self, worker_ctx):
        return self.instance

    def stop(self):
        # A collaborator holding resources (processes, connections) lets them go with the service.
        close = getattr(self.instance, "close", None)
        if callable(close):
            close()


class ServiceTopology(DependencyProvider):
    """Declares the service's broker topology each time it starts, before
    any entrypoint consumes (nameko sets every extension up before it starts
    one): idempotent, so a broker that lost its definitions gets them back."""

    def setup(self):
        declare_service(self.container.config["AMQP_URI"], self.container.service_cls)


class Service:
    name: str
    unit_of_work: type  # the service's SqlUnitOfWork subclass
    keeps_idempotency_keys = False  # set when a creating entrypoint (`creates`) is defined
    member_copy: str | None = None  # its unit of work's copy of members (shared/db/members.py), if any
    # Reads whose successful calls log at DEBUG unless slow (shared/observability/entrypoints.py).
    quiet_entrypoints: frozenset[str] = frozenset({"health"})

    caller = CallerProvider()
    idempotency_key = IdempotencyKeyProvider()
    observer = EntrypointObserver()
    topology = ServiceTopology()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "unit_of_work" in cls.__dict__:
            cls.uow = UnitOfWorkProvider(cls.name, cls.unit_of_work)

        @rpc
        def health(self):
            self.uow.session.execute(text("SELECT 1"))
            return {"status": "ok"}

        cls.health = health
        if any(getattr(member, "creates", False) for member in cls.__dict__.values()):
            cls.keeps_idempotency_keys = True

            @timer(interval=IDEMPOTENCY_PURGE_SECONDS)
            def purge_idempotency_keys(self):
                idempotency.purge_expired(self.uow.session, self.now())
                self.uow.commit()

            cls.purge_idempotency_keys = purge_idempotency_keys
        if cls.member_copy and "on_user_registered" not in cls.__dict__:
            cls.on_user_registered = keeps_member_copy("user_registered", "remember", cls.member_copy)
            cls.on_profile_updated = keeps_member_copy("profile_updated", "rename", cls.member_copy)

    @staticmethod
    def now() -> datetime:
        return datetime.now(timezone.utc)


def consumes(entrypoint):
    """Make an event entrypoint decorator hand the method the typed payload
    of an event it has not handled before, in `self.uow`'s transaction:
    the inbox mark, the effect and the events it records commit together.
    `self.uow.incoming` is the envelope. A duplicate is skipped."""

    def decorate(method):
        @functools.wraps(method)
        def handle(self, body):
            if _take(self, method, body):
                self.uow.commit()

        del handle.__wrapped__  # nameko checks calls against handle's own signature (self, body)
        return entrypoint(handle)

    return decorate


def consumes_batches(entrypoint, before=None):
    """`consumes` for an entrypoint that delivers events in batches
    (shared.messaging.batching): the method is called once per event, as
    with `consumes`, and the whole batch commits together: one transaction,
    one commit and one outbox pass for the batch instead of one per event.
    A batch that fails is handled again one event at a time by the
    entrypoint, so a poison event fails alone. `before(uow, events)`, if
    given, runs once per batch ahead of its events, with the payloads of
    those not handled before (moderation locks their authors there, all in
    one order: locks taken event by event could deadlock two batches)."""

    def decorate(method):
        @functools.wraps(method)
        def handle(self, bodies):
            envelopes = [Envelope.read(body) for body in bodies]
            consumer = f"{self.name}.{method.__name__}"
            fresh = self.uow.claim_all(consumer, [envelope.event_id for envelope in envelopes])
            work = []  # (envelope, its payload, or None when handled before)
            for envelope in envelopes:
                if envelope.event_id in fresh:
                    fresh.discard(envelope.event_id)  # the same event twice in a batch: once
                    work.append((envelope, parse_payload(envelope)))
                else:
                    work.append((envelope, None))
            if before is not None:
                before(self.uow, [payload for _, payload in work if payload is not None])
            worker_correlation = platform_logging.correlation_id.get()
            try:
                for envelope, payload in work:
                    # Each event's own correlation id, for its log lines and the
                    # events it records: a batch mixes several requests' events.
                    self.uow.correlation_id = envelope.correlation_id
                    platform_logging.correlation_id.set(envelope.correlation_id)
                    if payload is not None:
                        _apply(self, method, envelope, payload)
                    else:
                        _skipped(self, consumer, envelope)
            finally:
                platform_logging.correlation_id.set(worker_correlation)
            self.uow.commit()

        del handle.__wrapped__
        return entrypoint(handle)

    return decorate


def _take(self, method, body) -> bool:
    """One event, in the current transaction: its inbox mark, then the
    method with its payload. False when it was handled before (skipped)."""
    envelope = Envelope.read(body)
    consumer = f"{self.name}.{method.__name__}"
    if not self.uow.claim(consumer, envelope.event_id):
        _skipped(self, consumer, envelope)
        return False
    _apply(self, method, envelope)
    return True


def _skipped(self, consumer: str, envelope: Envelope) -> None:
    metrics.INBOX_DUPLICATES.labels(self.name, consumer).inc()
    log.info("duplicate event skipped", extra={"event_id": str(envelope.event_id)})


def _apply(self, method, envelope: Envelope, payload=None) -> None:
    """The method with the event's typed payload (its inbox mark taken)."""
    self.uow.incoming = envelope
    method(self, payload if payload is not None else parse_payload(envelope))
    if envelope.event_type == ERASURE_EVENT:
        self.uow.forget_published_events()
        if self.keeps_idempotency_keys:  # stored answers may hold the member's data
            idempotency.forget_caller(self.uow.session, str(envelope.payload["user_id"]))


def creates(method):
    """A creating RPC entrypoint that honours the Idempotency-Key, under `@rpc`.

    Without a key, the method's answer as it is. With one, the answer is
    `{"replayed": bool, "result": ...}` (the gateway's `Backend.create`
    unwraps it): the first call runs the method and records the key, a hash
    of its arguments and its result in the transaction of its write; a
    later call with the same key and arguments gets the stored result,
    `replayed` true, and nothing runs twice (shared/db/idempotency.py)."""

    @functools.wraps(method)
    def create(self, *args):
        key = self.idempotency_key
        if key is None:
            return method(self, *args)
        now = self.now()
        request = idempotency.IdempotentRequest(
            caller_id=self.caller.id or idempotency.ANONYMOUS,
            key=key,
            request_hash=idempotency.request_hash(f"{self.name}.{method.__name__}", list(args)),
        )
        replay = self.uow.begin_idempotent(request, now)
        if replay is not None:
            metrics.IDEMPOTENT_REPLAYS.labels(self.name, method.__name__).inc()
            return {"replayed": True, "result": replay.response}
        result = method(self, *args)
        self.uow.finish_idempotent(result, now)
        return {"replayed": False, "result": result}

    create.creates = True
    return create


def handles(source_service: str, event_type: str, **options):
    """`@handles("identity", "user_registered")`: a reliable event handler
    (shared.messaging.consumer) of one event type, with `consumes`."""
    return consumes(event_handler(source_service, event_type, **options))


def handles_batches(source_service: str, event_type: str, before=None, **options):
    """`@handles_batches("posts", "post_created")`: as `handles`, with the
    events that arrive together handled in one worker and one transaction
    (shared.messaging.batching), for the events every post written brings.
    The method must not commit: the batch commits once. `before`: see
    `consumes_batches`."""
    return consumes_batches(batched_event_handler(source_service, event_type, **options), before)


def keeps_member_copy(event_type: str, action: str, attribute: str):
    """`on_<event_type>`: identity's event applied to the service's copy of members."""

    def keep(self, event):
        getattr(getattr(self.uow, attribute), action)(event)

    keep.__name__ = keep.__qualname__ = f"on_{event_type}"
    return handles("identity", event_type)(keep)
