"""Ten concurrent database queries in one nameko process overlap instead of
queueing behind psycopg's C wait loop."""
import time

import pytest

pytestmark = pytest.mark.integration

PROBE = "tests.reliability.pg_probe_service"


@pytest.fixture(scope="module")
def pgprobe(start_service):
    return start_service("pgprobe", module=PROBE)


def ten_sleeps(rpc, service: str, seconds: float = 0.3) -> tuple[float, set]:
    proxy = getattr(rpc(), service)
    started = time.monotonic()
    replies = [proxy.sleep_in_database.call_async(seconds) for _ in range(10)]
    wait_funcs = {reply.result() for reply in replies}
    return time.monotonic() - started, wait_funcs


def test_ten_queries_overlap_in_a_nameko_process(pgprobe, rpc):
    elapsed, wait_funcs = ten_sleeps(rpc, "pgprobe")
    assert wait_funcs == {"wait_select"}
    assert elapsed < 1.5, f"10 x 0.3 s queries took {elapsed:.2f} s: they queued"


def test_without_the_setting_queries_queue(start_service, rpc):
    """The control: psycopg's default wait function blocks the whole process."""
    start_service("pgprobe_blocking", module=PROBE, PROBE_NAME="pgprobe_blocking", PSYCOPG_WAIT_FUNC="wait_c")
    elapsed, wait_funcs = ten_sleeps(rpc, "pgprobe_blocking")
    assert wait_funcs == {"wait_c"}
    assert elapsed >= 2.9
