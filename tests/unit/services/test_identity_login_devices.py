"""Logins strangers cannot block (OWASP's device cookies) and attempts counted
before they are evaluated (handlers over fakes; the race itself:
tests/e2e/test_login_throttle.py)."""
import uuid
from datetime import timedelta

import pytest

from services.identity import domain, handlers
from services.identity.models import User
from shared.errors import TooManyRequests, Unauthorized

PASSWORD = "une phrase de passe solide"
EMAIL = "camille@exemple.fr"


def add_user(uow, hasher, now, email=EMAIL) -> User:
    user = User(id=uuid.uuid4(), email=email, password_hash=hasher.hash(PASSWORD), display_name="Camille",
                role="job_seeker", agency_code="HDF-LILLE", organization=None, bio="", topics=[], status="active",
                suspended_until=None, erased_at=None, created_at=now, version=1)
    uow.users.add(user)
    return user


def attempt(uow, hasher, tokens, now, password="mauvais mot de passe", device=None, client="203.0.113.7",
            email=EMAIL):
    body = {"email": email, "password": password, **({"device_token": device} if device else {})}
    try:
        return handlers.login(uow, body, hasher, tokens, now, client)
    except (Unauthorized, TooManyRequests) as err:
        return err


# ------------------------------------------------------------ domain rules

def test_an_unknown_device_meets_the_account_and_client_limits():
    assert domain.throttle_keys(EMAIL, "203.0.113.7", None) == [
        (f"email:{EMAIL}", domain.MAX_FAILURES_PER_ACCOUNT), ("client:203.0.113.7", domain.MAX_FAILURES_PER_CLIENT)]
    assert domain.throttle_keys(EMAIL, None, None) == [(f"email:{EMAIL}", domain.MAX_FAILURES_PER_ACCOUNT)]


def test_a_known_device_meets_its_own_small_limit_only():
    assert domain.throttle_keys(EMAIL, "203.0.113.7", "dev1") == [("device:dev1", domain.MAX_FAILURES_PER_DEVICE)]
    assert domain.MAX_FAILURES_PER_DEVICE < domain.MAX_FAILURES_PER_ACCOUNT


# ------------------------------------------------------------ device tokens

def test_a_device_token_is_bound_to_its_account_and_signed(tokens, now):
    owner, other = str(uuid.uuid4()), str(uuid.uuid4())
    token = tokens.device_token(owner, now)
    device = tokens.device_of(token, owner, now)
    assert device and device in token
    assert tokens.device_of(token, other, now) is None  # another account's
    assert tokens.device_of(token, uuid.UUID(owner), now) == device
    body, signature = token.rsplit(".", 1)
    forged = body.replace(uuid.UUID(owner).hex, uuid.UUID(other).hex) + "." + signature
    assert tokens.device_of(forged, other, now) is None
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert tokens.device_of(tampered, owner, now) is None
    for junk in ("", "d1", "a.b.c.d.e", token + ".x", "d2" + token[2:]):
        assert tokens.device_of(junk, owner, now) is None
    assert tokens.device_of(token, None, now) is None


def test_a_device_token_expires(tokens, now):
    owner = str(uuid.uuid4())
    token = tokens.device_token(owner, now)
    assert tokens.device_of(token, owner, now + tokens.device_ttl - timedelta(seconds=1))
    assert tokens.device_of(token, owner, now + tokens.device_ttl) is None


def test_each_device_token_names_a_new_device(tokens, now):
    owner = str(uuid.uuid4())
    assert tokens.device_of(tokens.device_token(owner, now), owner, now) != tokens.device_of(
        tokens.device_token(owner, now), owner, now)


# ------------------------------------------------------------ logins

def test_a_login_gives_a_device_token_of_its_account(identity_uow, hasher, tokens, now):
    user = add_user(identity_uow, hasher, now)
    pair = attempt(identity_uow, hasher, tokens, now, password=PASSWORD)
    assert tokens.device_of(pair["device_token"], user.id, now)


def test_an_attackers_failures_lock_unknown_devices_but_not_the_owners_known_one(identity_uow, hasher, tokens, now):
    add_user(identity_uow, hasher, now)
    device = attempt(identity_uow, hasher, tokens, now, password=PASSWORD)["device_token"]
    for i in range(domain.MAX_FAILURES_PER_ACCOUNT):
        assert isinstance(attempt(identity_uow, hasher, tokens, now, client=f"198.51.100.{i}"), Unauthorized)
    # Locked for every unknown device, even with the right password...
    assert isinstance(attempt(identity_uow, hasher, tokens, now, password=PASSWORD, client="192.0.2.1"),
                      TooManyRequests)
    # ... but the owner's device signs in, and gets a new device token.
    pair = attempt(identity_uow, hasher, tokens, now, password=PASSWORD, device=device, client="192.0.2.1")
    assert pair["access_token"] and pair["device_token"] != device
    # Its success does not unlock the account for the attacker.
    assert isinstance(attempt(identity_uow, hasher, tokens, now, password=PASSWORD), TooManyRequests)


def test_a_known_device_has_its_own_small_limit(identity_uow, hasher, tokens, now):
    add_user(identity_uow, hasher, now)
    device = attempt(identity_uow, hasher, tokens, now, password=PASSWORD)["device_token"]
    for _ in range(domain.MAX_FAILURES_PER_DEVICE):
        assert isinstance(attempt(identity_uow, hasher, tokens, now, device=device), Unauthorized)
    assert isinstance(attempt(identity_uow, hasher, tokens, now, password=PASSWORD, device=device), TooManyRequests)
    # That device's failures did not count against the account: unknown devices still get in.
    assert attempt(identity_uow, hasher, tokens, now, password=PASSWORD)["access_token"]


def test_another_accounts_device_token_counts_as_an_unknown_device(identity_uow, hasher, tokens, now):
    add_user(identity_uow, hasher, now)
    add_user(identity_uow, hasher, now, email="mallory@exemple.fr")
    mallory_device = attempt(identity_uow, hasher, tokens, now, password=PASSWORD,
                             email="mallory@exemple.fr")["device_token"]
    for _ in range(domain.MAX_FAILURES_PER_ACCOUNT):
        attempt(identity_uow, hasher, tokens, now, device=mallory_device)
    assert isinstance(attempt(identity_uow, hasher, tokens, now, device=mallory_device), TooManyRequests)


def test_an_attempt_is_counted_before_the_password_is_checked(identity_uow, hasher, tokens, now):
    """What makes parallel attempts safe: the counters are locked, the attempt
    is counted and committed, and only then is the password verified."""
    add_user(identity_uow, hasher, now)
    seen = []

    class Watching(type(hasher)):
        def verify(self, password_hash, password):
            seen.append((identity_uow.commits, len(identity_uow.login_failures.rows)))
            return super().verify(password_hash, password)

    watcher = Watching()
    handlers.login(identity_uow, {"email": EMAIL, "password": PASSWORD}, watcher, tokens, now, "203.0.113.7")
    assert identity_uow.login_failures.locked == [[f"email:{EMAIL}", "client:203.0.113.7"]]
    assert seen == [(1, 2)]  # both counters counted and committed before the verification
    assert identity_uow.login_failures.rows == []  # a success takes its attempt back


def test_a_refused_attempt_is_not_evaluated(identity_uow, hasher, tokens, now):
    add_user(identity_uow, hasher, now)
    for _ in range(domain.MAX_FAILURES_PER_ACCOUNT):
        attempt(identity_uow, hasher, tokens, now)
    hasher.verified.clear()
    assert isinstance(attempt(identity_uow, hasher, tokens, now), TooManyRequests)
    assert hasher.verified == []
    assert len(identity_uow.login_failures.times(f"email:{EMAIL}", now - domain.LOGIN_WINDOW)) == \
        domain.MAX_FAILURES_PER_ACCOUNT


@pytest.mark.parametrize("junk", ["x" * 201, ""])
def test_a_malformed_device_token_is_refused_naming_the_field(identity_uow, hasher, tokens, now, junk):
    from shared.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as err:
        handlers.login(identity_uow, {"email": EMAIL, "password": PASSWORD, "device_token": junk}, hasher, tokens,
                       now)
    assert any("device_token" in e["loc"] for e in err.value.errors)
