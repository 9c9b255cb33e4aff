"""argon2 hashing within memory: at most PASSWORD_HASH_CONCURRENCY hashes run
at once per process, in eventlet's thread pool (the process's peak memory
under a burst: tests/integration/test_identity_hash_memory.py)."""
import eventlet
from eventlet.patcher import original

from services.identity.passwords import Argon2Hasher, OffLoopHasher
from services.identity.settings import IdentitySettings

real_time = original("time")
real_threading = original("threading")


class SlowHasher:
    """Stands for argon2: a blocking call of 50 ms in a pool thread; counts how many overlap."""

    dummy_hash = "dummy"

    def __init__(self):
        self.running = 0
        self.peak = 0
        self.threads: set[int] = set()
        self._lock = real_threading.Lock()

    def _work(self):
        with self._lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.threads.add(real_threading.get_ident())
        real_time.sleep(0.05)
        with self._lock:
            self.running -= 1

    def verify(self, password_hash, password):
        self._work()
        return False

    def hash(self, password):
        self._work()
        return "h"


def burst(hasher: OffLoopHasher, n: int) -> float:
    pool = eventlet.GreenPool(n)
    started = real_time.monotonic()
    for i in range(n):
        pool.spawn(hasher.verify if i % 2 else hasher.hash, *(("h", "p") if i % 2 else ("p",)))
    pool.waitall()
    return real_time.monotonic() - started


def test_no_more_than_the_configured_hashes_run_at_once():
    slow = SlowHasher()
    burst(OffLoopHasher(slow, concurrency=2), 10)
    assert slow.peak == 2
    assert real_threading.get_ident() not in slow.threads  # in the pool, never on the hub's thread


def test_the_bound_is_the_setting():
    slow = SlowHasher()
    burst(OffLoopHasher(slow, concurrency=3), 12)
    assert slow.peak == 3
    assert IdentitySettings().password_hash_concurrency == 2


def test_waiting_for_a_slot_does_not_block_other_greenthreads():
    hasher = OffLoopHasher(SlowHasher(), concurrency=1)
    ticks = []

    def ticker():
        while len(ticks) < 5:
            ticks.append(real_time.monotonic())
            eventlet.sleep(0.01)

    pool = eventlet.GreenPool()
    for _ in range(6):
        pool.spawn(hasher.verify, "h", "p")  # 6 x 50 ms, one at a time
    started = real_time.monotonic()
    pool.spawn(ticker)
    pool.waitall()
    assert ticks[-1] - started < 0.2  # the ticker ran between hashes, not after the 300 ms of them


def test_the_real_hasher_still_verifies_through_the_pool():
    hasher = OffLoopHasher(Argon2Hasher(), concurrency=2)
    stored = hasher.hash("une phrase de passe solide")
    assert hasher.verify(stored, "une phrase de passe solide")
    assert not hasher.verify(stored, "une autre phrase")
