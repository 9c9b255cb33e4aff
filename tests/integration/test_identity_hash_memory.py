"""argon2 within memory: a burst of logins leaves a real identity process up
and under PASSWORD_HASH_CONCURRENCY x 64 MiB above its resting size, the
arithmetic its container limits are sized on (infra/k8s/identity.yaml,
docker-compose.yml)."""
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from nameko.exceptions import RemoteError

pytestmark = pytest.mark.integration

MIB = 1024 * 1024
ARGON2_MEMORY = 64 * MIB  # argon2-cffi's RFC 9106 low-memory profile, per hash
CONCURRENCY = 2
# What a process grows by besides the hashes themselves: pool threads'
# stacks, connections and buffers of 50 more requests.
MARGIN = 48 * MIB
BURST = 50


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


@pytest.fixture(scope="module")
def identity(start_service):
    return start_service("identity", PASSWORD_HASH_CONCURRENCY=CONCURRENCY, NAMEKO_MAX_WORKERS=10)


def test_fifty_concurrent_wrong_logins_stay_within_concurrency_times_64_mib(identity, rpc):
    pid = identity.proc.pid
    # Warm up (connections, imports, the pool's threads), then take the resting size.
    with pytest.raises(RemoteError):
        rpc().identity.login({"email": "echauffement@exemple.fr", "password": "pas le bon mot de passe"})
    base = status_kib(pid, "VmRSS") * 1024
    # Reset the peak (VmHWM) to the current size: only the burst counts.
    Path(f"/proc/{pid}/clear_refs").write_text("5")

    def wrong_login(i: int) -> str:
        # Unknown addresses, no client address: no throttle, every attempt is hashed.
        proxy = rpc(timeout=120)
        try:
            proxy.identity.login({"email": f"inconnu{i}@exemple.fr", "password": "pas le bon mot de passe"})
        except RemoteError as error:
            return error.exc_type
        return "ok"

    started = time.monotonic()
    with ThreadPoolExecutor(BURST) as pool:
        answers = list(pool.map(wrong_login, range(BURST)))
    elapsed = time.monotonic() - started

    assert answers == ["Unauthorized"] * BURST
    assert identity.proc.poll() is None and os.path.exists(f"/proc/{pid}")  # still up
    peak = status_kib(pid, "VmHWM") * 1024
    growth = peak - base
    print(f"identity resting {base / MIB:.0f} MiB, peak {peak / MIB:.0f} MiB during {BURST} logins "
          f"in {elapsed:.1f} s (+{growth / MIB:.0f} MiB; bound {CONCURRENCY} x 64 MiB + {MARGIN // MIB} MiB)")
    assert growth >= ARGON2_MEMORY // 2  # the hashes did run
    assert growth <= CONCURRENCY * ARGON2_MEMORY + MARGIN
    assert len(rpc().identity.list_agencies()) == 11  # and it still answers
