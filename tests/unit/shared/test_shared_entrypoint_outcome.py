"""The outcome label of entrypoint metrics: a refusal is `rejected`, a service
that could not do its job (its database away) is an `error`, so the error
rate alerts see an outage; RPC keeps the `kind` label `Rpc`."""
from shared.errors import NotFound, TemporarilyUnavailable
from shared.messaging.rpc import PlatformRpc
from shared.observability.entrypoints import outcome_of


def info(exc: BaseException):
    return (type(exc), exc, None)


def test_outcomes():
    assert outcome_of(None) == "success"
    assert outcome_of(info(NotFound("Publication introuvable."))) == "rejected"
    assert outcome_of(info(TemporarilyUnavailable("Service indisponible.", 5))) == "error"
    assert outcome_of(info(RuntimeError("bug"))) == "error"


def test_the_platforms_rpc_keeps_the_rpc_kind_label():
    assert PlatformRpc.metric_kind == "Rpc"
