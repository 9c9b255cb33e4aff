"""Screening off the event loop, within a time budget (issue 12, item 1):
real worker processes, no broker and no database."""
import time
from datetime import datetime, timezone

import eventlet
import pytest

from services.moderation.config import load_rules
from services.moderation.screening import UNFINISHED, UNSCREENED_EXCERPT, Screening, default_screener
from services.moderation.screening_pool import ScreeningPool, WorkerFailed
from services.moderation.spam import RecentWriting, fingerprint

SLOW = "tests.unit.services.screening_factories:slow"


def whole(pool, size=2):
    """Wait until a replaced worker has started (a second or so)."""
    deadline = time.monotonic() + 30
    while pool._idle.qsize() < size:
        assert time.monotonic() < deadline, "the pool did not get its workers back"
        eventlet.sleep(0.05)
    return pool


@pytest.fixture(scope="module")
def pool():
    pool = ScreeningPool(load_rules(), size=2, budget=0.5, factory=SLOW)
    yield pool
    pool.close()


def test_a_worker_screens_like_the_screener_itself(pool):
    text = "Appelez-moi au 06 12 34 56 78"
    here = default_screener().screen(text)
    there = pool.screen(text)
    assert there == here == Screening("hold", ("personal_data.phone",))
    assert there.fingerprint == fingerprint(text) and "06 12" not in there.excerpt


def test_the_author_history_reaches_the_worker(pool):
    at = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
    text = "Je cherche un covoiturage pour Lyon demain matin, merci de me répondre."
    recent = [RecentWriting("other-post", fingerprint(text), True, at)]
    assert pool.screen(text, target_id="p2", created=True, at=at, recent=recent).decision == "reject"


def test_a_text_over_the_budget_is_held_for_a_person_and_the_worker_replaced(pool):
    started = time.monotonic()
    result = pool.screen("BOUCLE " + "AB12 " * 800)
    assert time.monotonic() - started < 0.5 + 0.3
    assert result.decision == "hold" and result.reasons == (UNFINISHED,)
    assert result.excerpt == UNSCREENED_EXCERPT and "AB12" not in result.excerpt
    # The pool is whole again: two texts at once are both screened.
    whole(pool)
    results = [eventlet.spawn(pool.screen, "Bonjour à tous") for _ in range(2)]
    assert [r.wait().decision for r in results] == ["publish", "publish"]


def test_the_event_loop_keeps_running_while_a_worker_is_busy(pool):
    """What the cubic detectors broke: other green threads (RPCs, timers,
    heartbeats) run while a text is screened, and a clean text screened
    meanwhile by the other worker is answered at once."""
    ticks = []

    def tick():
        while True:
            ticks.append(time.monotonic())
            eventlet.sleep(0.01)

    whole(pool)
    ticker = eventlet.spawn(tick)
    hostile = eventlet.spawn(pool.screen, "BOUCLE")
    eventlet.sleep(0.05)
    started = time.monotonic()
    assert pool.screen("Une question simple sur le CACES").decision == "publish"
    assert time.monotonic() - started < 0.2
    assert hostile.wait().reasons == (UNFINISHED,)
    ticker.kill()
    assert len(ticks) >= 20  # about 50 in 0.5 s; none at all if the hub were blocked


@pytest.mark.parametrize("marker", ["PLANTAGE", "ERREUR"])
def test_a_worker_that_dies_or_fails_holds_the_text(pool, marker, caplog):
    result = pool.screen(f"{marker} 06 12 34 56 78")
    assert result.decision == "hold" and result.reasons == (UNFINISHED,)
    assert "06 12" not in result.excerpt
    logged = " ".join(f"{r.getMessage()} {getattr(r, 'error', '')}" for r in caplog.records)
    assert "06 12" not in logged and ("ValueError at screening_factories.py" in logged or marker == "PLANTAGE")
    assert whole(pool).screen("Bonjour").decision == "publish"


def test_a_worker_that_cannot_start_stops_the_service():
    with pytest.raises(WorkerFailed):
        ScreeningPool(load_rules(), size=1, budget=1.0, factory="tests.unit.services.screening_factories:broken")


def test_without_a_free_worker_for_too_long_the_event_fails_to_be_tried_again():
    pool = ScreeningPool(load_rules(), size=1, budget=2.0, factory=SLOW, wait=0.2)
    try:
        busy = eventlet.spawn(pool.screen, "BOUCLE")
        eventlet.sleep(0.05)
        started = time.monotonic()
        with pytest.raises(WorkerFailed):
            pool.screen("Bonjour")
        assert time.monotonic() - started < 1.0
        busy.kill()
    finally:
        pool.close()


def test_closing_the_pool_ends_its_workers():
    pool = ScreeningPool(load_rules(), size=2, budget=1.0, factory=SLOW)
    processes = [w.process for w in pool._all]
    pool.close()
    assert all(p.poll() is not None for p in processes)


def test_an_answer_is_read_from_the_pipe_in_one_call_not_byte_by_byte(pool):
    """Each read of the green pipe is a trip through the hub: the pipe's
    readline() took one per byte of the answer, ~350 for a post (issue 17)."""
    whole(pool)
    reads = []
    for worker in list(pool._all):
        real = worker.process.stdout.read
        worker.process.stdout.read = lambda *size, real=real: reads.append(size) or real(*size)
    try:
        text = "Je partage mes démarches de la semaine et je cherche des conseils pour relancer une candidature. " * 2
        assert pool.screen(text).decision == "publish"
    finally:
        for worker in list(pool._all):
            del worker.process.stdout.read
    assert 1 <= len(reads) <= 3


@pytest.fixture(scope="module")
def mixed_pool():
    """Texts up to 100 characters screened in process, longer ones by the (slow) workers."""
    pool = ScreeningPool(load_rules(), size=1, budget=0.5, factory=SLOW, in_process_up_to=100)
    yield pool
    pool.close()


def asked(pool) -> list[bytes]:
    """Requests written to the pool's workers from now on."""
    sent = []
    for worker in list(pool._all):
        real = worker.process.stdin.write
        worker.process.stdin.write = lambda data, real=real: sent.append(data) or real(data)
    return sent


def test_a_short_text_is_screened_in_process_like_a_worker_would(mixed_pool):
    whole(mixed_pool, size=1)
    sent = asked(mixed_pool)
    at = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
    text = "Je cherche un covoiturage pour Lyon demain matin, merci."
    recent = [RecentWriting("other-post", fingerprint(text), True, at)]
    assert mixed_pool.screen(text, target_id="p2", created=True, at=at, recent=recent).decision == "reject"
    phone = "Appelez-moi au 06 12 34 56 78"
    assert mixed_pool.screen(phone) == default_screener().screen(phone) == Screening("hold", ("personal_data.phone",))
    assert sent == []  # no worker asked


def test_a_long_text_still_goes_to_a_worker_within_its_budget(mixed_pool):
    """A text longer than the threshold keeps issue 12's protection: a worker
    process, killed past the budget, the text held for a person."""
    whole(mixed_pool, size=1)
    sent = asked(mixed_pool)
    started = time.monotonic()
    result = mixed_pool.screen("BOUCLE " + "AB12 " * 40)  # 207 characters
    assert time.monotonic() - started < 0.5 + 0.3
    assert result.decision == "hold" and result.reasons == (UNFINISHED,) and len(sent) == 1
    whole(mixed_pool, size=1)
    assert mixed_pool.screen("Bonjour à tous " * 10).decision == "publish"


def test_a_short_text_whose_screening_fails_in_process_is_held_without_its_text_in_the_logs(mixed_pool, caplog):
    result = mixed_pool.screen("ERREUR 06 12 34 56 78")
    assert result.decision == "hold" and result.reasons == (UNFINISHED,) and "06 12" not in result.excerpt
    logged = " ".join(f"{r.getMessage()} {getattr(r, 'error', '')}" for r in caplog.records)
    assert "06 12" not in logged and "ValueError at screening_factories.py" in logged
