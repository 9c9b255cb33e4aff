"""Retention with two identity replicas on one database: an inactive account
is warned once by e-mail over SMTP, then erased if nobody signs in; an
account whose member signs in after the warning is kept."""
import pytest

from services.notifications.smtp_sink import SmtpSink
from stack.testing import db_connect, free_port, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def smtp(tmp_path_factory):
    sink = SmtpSink(tmp_path_factory.mktemp("retention-mail"), port=free_port()).start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def replicas(start_service, smtp):
    env = dict(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, EMAIL_POLL_SECONDS=0.2, RETENTION_SWEEP_SECONDS=0.3,
               INACTIVITY_WARNING_DAYS=700, INACTIVITY_ERASURE_DAYS=30, RETENTION_BATCH_SIZE=1)
    return [start_service("identity", **env), start_service("identity", **env)]


def age(platform, user_id, *, idle_days=None, warned_days_ago=None):
    with db_connect(platform, "identity") as conn:
        if idle_days is not None:
            conn.execute("UPDATE users SET last_active_at = now() - make_interval(days => %s) WHERE id = %s",
                         (idle_days, user_id))
        if warned_days_ago is not None:
            conn.execute("UPDATE users SET inactivity_warned_at = now() - make_interval(days => %s), "
                         "last_active_at = least(last_active_at, now() - make_interval(days => %s)) WHERE id = %s",
                         (warned_days_ago, warned_days_ago + 1, user_id))


def row(platform, user_id):
    with db_connect(platform, "identity") as conn:
        return conn.execute("SELECT status, email, inactivity_warned_at FROM users WHERE id = %s",
                            (user_id,)).fetchone()


def warnings_to(smtp, address):
    return [m for m in smtp.messages() if m["To"] == address
            and m["Subject"] == "Votre compte va être supprimé faute d'utilisation"]


def test_an_idle_account_is_warned_once_then_erased(replicas, make_member, rpc, smtp, platform):
    idle = [make_member() for _ in range(3)]
    for member in idle:
        age(platform, member["id"], idle_days=701)

    for member in idle:
        wait_for(lambda: warnings_to(smtp, member["email"]), timeout=15, message="the warning e-mail")
    assert all(row(platform, m["id"])[2] is not None for m in idle)

    kept, erased = idle[0], idle[1:]
    rpc().identity.login({"email": kept["email"], "password": kept["password"]})  # signs in again
    for member in erased:
        age(platform, member["id"], warned_days_ago=31)
    for member in erased:
        wait_for(lambda: row(platform, member["id"])[0] == "erased", timeout=15, message="the erasure")
        assert member["email"] not in row(platform, member["id"])[1]
    assert row(platform, kept["id"])[0] == "active" and row(platform, kept["id"])[2] is None
    # Two replicas sweeping every 0.3 s, and each member got one warning.
    assert [len(warnings_to(smtp, m["email"])) for m in idle] == [1, 1, 1]
