"""Digests on a fast schedule, with two replicas of the service: one e-mail
per member and period summing up what they have not read, none when there
is nothing."""
import uuid
from datetime import datetime, timezone

import pytest

from services.notifications.smtp_sink import SmtpSink
from shared.contracts import Envelope
from shared.contracts.identity import UserRegistered
from shared.contracts.posts import CommentPublished
from stack.testing import db_connect, free_port, wait_for
from tests.reliability.test_idempotent_consumer import publish_raw

pytestmark = pytest.mark.integration

DAILY_SECONDS = 3
NOW = datetime.now(timezone.utc)


@pytest.fixture(scope="module")
def smtp(tmp_path_factory):
    sink = SmtpSink(tmp_path_factory.mktemp("digest-mail"), port=free_port()).start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def replicas(start_service, smtp):
    env = dict(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, EMAIL_POLL_SECONDS=0.2, DIGEST_CHECK_SECONDS=0.3,
               DIGEST_DAILY_SECONDS=DAILY_SECONDS, DIGEST_WEEKLY_SECONDS=3600)
    return [start_service("notifications", **env), start_service("notifications", **env)]


def publish(platform, event) -> None:
    publish_raw(platform.amqp_uri, Envelope.wrap(event).model_dump(mode="json"), event.routing_key(),
                producer=event.producer())


def member(platform) -> dict:
    user = {"id": str(uuid.uuid4()), "role": "job_seeker", "agency_code": "HDF-LILLE",
            "email": f"digest-{uuid.uuid4().hex[:8]}@exemple.fr"}
    publish(platform, UserRegistered(user_id=user["id"], email=user["email"], display_name="Léa",
                                     role="job_seeker", agency_code="HDF-LILLE", registered_at=NOW))
    return user


def runs_of(platform, user) -> int:
    with db_connect(platform, "notifications") as conn:
        return conn.execute("SELECT count(*) FROM digest_runs WHERE user_id = %s", (user["id"],)).fetchone()[0]


def digests_of(platform, user) -> list[tuple]:
    with db_connect(platform, "notifications") as conn:
        return conn.execute("SELECT status, subject FROM emails WHERE user_id = %s AND kind = 'digest'",
                            (user["id"],)).fetchall()


def test_one_digest_per_member_and_period_with_two_replicas(platform, replicas, rpc, smtp):
    reader, quiet = member(platform), member(platform)
    # The weekly digest of this period runs at once (nothing unread: no e-mail).
    wait_for(lambda: runs_of(platform, reader) >= 1 and runs_of(platform, quiet) >= 1, message="the weekly runs")
    for title in ("Devenir cariste", "Passer le permis"):
        publish(platform, CommentPublished(
            comment_id=str(uuid.uuid4()), post_id=str(uuid.uuid4()), post_title=title, post_author_id=reader["id"],
            post_kind="question", author_id=str(uuid.uuid4()), author_role="job_seeker", agency_code="HDF-LILLE",
            created_at=NOW, published_at=NOW))
    wait_for(lambda: len(rpc(reader).notifications.list_notifications({})["items"]) == 2, message="2 notifications")
    for user in (reader, quiet):
        rpc(user).notifications.update_preferences({"channels": {}, "digest": "daily"})

    [(status, subject)] = wait_for(lambda: (d := digests_of(platform, reader)) and d[0][0] == "sent" and d,
                                   timeout=3 * DAILY_SECONDS, message="the daily digest")
    assert subject == "Votre résumé de la journée : 2 notifications non lues"
    [message] = wait_for(lambda: [m for m in smtp.messages() if m["To"] == reader["email"]],
                         message="the digest at the SMTP server")
    text = message.get_body(("plain",)).get_content()
    assert "« Devenir cariste »" in text and "« Passer le permis »" in text and text.startswith("Bonjour Léa,")

    # Two more periods pass, ticked by both replicas: nothing new, no more e-mail.
    runs = runs_of(platform, reader)
    wait_for(lambda: runs_of(platform, reader) >= runs + 2, timeout=4 * DAILY_SECONDS, message="two more periods")
    assert len(digests_of(platform, reader)) == 1
    assert len([m for m in smtp.messages() if m["To"] == reader["email"]]) == 1
    assert runs_of(platform, quiet) >= 3 and digests_of(platform, quiet) == []
