"""argon2id password hashing (argon2-cffi's RFC 9106 low-memory profile:
t=3, m=64 MiB, p=4, above OWASP's minimum), and the common-password list."""
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common_passwords.txt"


class Argon2Hasher:
    def __init__(self, hasher: PasswordHasher | None = None):
        self._ph = hasher or PasswordHasher()
        self.dummy_hash = self._ph.hash("dummy password used to equalise timing")

    def hash(self, password: str) -> str:
        return self._ph.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._ph.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._ph.check_needs_rehash(password_hash)


class OffLoopHasher:
    """Runs the hasher in eventlet's thread pool, at most `concurrency` at once.

    argon2 is a long C call; argon2-cffi's bindings release the GIL, so in a
    pool thread it runs beside the hub instead of stalling every greenthread.
    Each hash holds 64 MiB for its whole run: unbounded, the workers of a
    burst of logins (NAMEKO_MAX_WORKERS, 10) would need 640 MiB at once and
    the container be killed. A green semaphore makes the others wait their
    turn without blocking the hub (PASSWORD_HASH_CONCURRENCY)."""

    def __init__(self, inner: Argon2Hasher, concurrency: int = 2):
        from eventlet import tpool
        from eventlet.semaphore import Semaphore

        self._inner = inner
        self._tpool = tpool
        self._slots = Semaphore(concurrency)
        self.concurrency = concurrency
        self.dummy_hash = inner.dummy_hash

    def hash(self, password: str) -> str:
        with self._slots:
            return self._tpool.execute(self._inner.hash, password)

    def verify(self, password_hash: str, password: str) -> bool:
        with self._slots:
            return self._tpool.execute(self._inner.verify, password_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        return self._inner.needs_rehash(password_hash)


@lru_cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))
