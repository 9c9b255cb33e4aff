"""Event contracts: the envelope and every versioned event model.

Each service's events live in `shared/contracts/<service>.py`; every module
of this package is imported here, so a new contract is registered by being
written (and published by `python -m shared.contracts.schemas`).
"""
import importlib
import pkgutil

from shared.contracts.envelope import Envelope, EventPayload

_NOT_CONTRACTS = {"envelope", "schemas"}


def _discover() -> tuple[type[EventPayload], ...]:
    for module in pkgutil.iter_modules(__path__):
        if module.name not in _NOT_CONTRACTS:
            importlib.import_module(f"{__name__}.{module.name}")
    found, stack = [], list(EventPayload.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if "event_type" in cls.__dict__ and cls.__module__.startswith(__name__ + "."):
            found.append(cls)
    return tuple(sorted(found, key=lambda c: (c.event_type, c.version)))


ALL_EVENTS: tuple[type[EventPayload], ...] = _discover()

_BY_KEY = {(cls.event_type, cls.version): cls for cls in ALL_EVENTS}


def payload_class(event_type: str, version: int) -> type[EventPayload]:
    return _BY_KEY[(event_type, version)]


def parse_payload(envelope: Envelope) -> EventPayload:
    """The typed payload of an envelope (raises KeyError for an unknown
    contract), ignoring fields this consumer does not know."""
    return payload_class(envelope.event_type, envelope.version).read(envelope.payload)


__all__ = ["ALL_EVENTS", "Envelope", "EventPayload", "parse_payload", "payload_class"]
