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
    """Runs the hasher in eventlet's thread pool: argon2 is a long C call that
    would otherwise stall every greenthread of the nameko process."""

    def __init__(self, inner: Argon2Hasher):
        from eventlet import tpool

        self._inner = inner
        self._tpool = tpool
        self.dummy_hash = inner.dummy_hash

    def hash(self, password: str) -> str:
        return self._tpool.execute(self._inner.hash, password)

    def verify(self, password_hash: str, password: str) -> bool:
        return self._tpool.execute(self._inner.verify, password_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        return self._inner.needs_rehash(password_hash)


@lru_cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))
