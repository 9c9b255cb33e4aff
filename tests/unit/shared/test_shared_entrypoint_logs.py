"""One log line per entrypoint call: reads that succeed fast are DEBUG, the rest INFO or ERROR."""
import logging
import pytest

from shared.errors import NotFound
from shared.observability.entrypoints import EntrypointObserver


class Rpc:  # the entrypoint's kind is its class name
    def __init__(self, method_name):
        self.method_name = method_name


class PostsLike:
    quiet_entrypoints = frozenset({"get_post"})


class WorkerContext:  # hashable, like nameko's
    def __init__(self, method):
        self.service, self.service_name, self.entrypoint, self.data = PostsLike(), "posts", Rpc(method), {}


def call(observer, method, *, exc=None, seconds=0.0):
    ctx = WorkerContext(method)
    observer.worker_setup(ctx)
    observer._started[ctx] -= seconds
    observer.worker_result(ctx, None, (type(exc), exc, None) if exc else None)


@pytest.fixture
def observer():
    watched = EntrypointObserver()
    watched.setup()
    return watched


def levels(caplog):
    return [(r.levelname, r.entrypoint) for r in caplog.records if r.name == "platform.entrypoint"]


def test_a_fast_successful_read_is_not_logged_at_info(observer, caplog):
    caplog.set_level(logging.INFO, logger="platform.entrypoint")
    call(observer, "get_post")
    assert levels(caplog) == []


def test_a_read_shows_at_debug(observer, caplog):
    caplog.set_level(logging.DEBUG, logger="platform.entrypoint")
    call(observer, "get_post")
    assert levels(caplog) == [("DEBUG", "get_post")]


def test_writes_slow_reads_and_rejected_reads_stay_at_info(observer, caplog):
    caplog.set_level(logging.INFO, logger="platform.entrypoint")
    call(observer, "create_post")
    call(observer, "get_post", seconds=observer._slow_seconds + 0.1)
    call(observer, "get_post", exc=NotFound("Introuvable."))
    call(observer, "get_post", exc=RuntimeError("boom"))
    assert levels(caplog) == [("INFO", "create_post"), ("INFO", "get_post"), ("INFO", "get_post"), ("ERROR", "get_post")]
