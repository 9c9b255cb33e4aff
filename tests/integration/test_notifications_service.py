"""The notifications service over the real broker, database and an SMTP
server: events in, notifications and e-mails out, once each."""
import uuid
from datetime import datetime, timezone
from email import message_from_bytes, policy

import httpx
import pytest
from nameko.exceptions import RemoteError

from services.notifications.smtp_sink import MaildirLikeHandler, SmtpSink
from shared.contracts import Envelope
from shared.contracts.identity import UserErased, UserRegistered
from shared.contracts.moderation import CaseDecided
from shared.contracts.posts import CommentPublished, ReactionAdded
from stack.testing import db_connect, free_port, wait_for
from tests.reliability.test_idempotent_consumer import publish_raw

pytestmark = pytest.mark.integration

NOW = datetime.now(timezone.utc)


class FlakySmtpHandler(MaildirLikeHandler):
    """Answers 451 (try again later) to the first attempt of each message for
    a `flaky-` address, always to a `down-` address, then accepts."""

    def __init__(self, directory):
        super().__init__(directory)
        self.refused: dict[str, int] = {}

    async def handle_DATA(self, server, session, envelope):
        recipient = envelope.rcpt_tos[0]
        message_id = str(message_from_bytes(envelope.content, policy=policy.default)["Message-ID"]).strip()
        refused = self.refused.get(message_id, 0)
        if recipient.startswith("down-") or (recipient.startswith("flaky-") and refused == 0):
            self.refused[message_id] = refused + 1
            return "451 4.3.0 Serveur occupé, réessayez plus tard"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture(scope="module")
def smtp(tmp_path_factory):
    directory = tmp_path_factory.mktemp("mail")
    sink = SmtpSink(directory, port=free_port(), handler=FlakySmtpHandler(directory)).start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def notifications(start_service, smtp):
    metrics_port = free_port()
    process = start_service(
        "notifications", SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, EMAIL_POLL_SECONDS=0.2,
        EMAIL_RETRY_BASE_SECONDS=0.3, EMAIL_MAX_ATTEMPTS=3, METRICS_PORT=metrics_port,
        APP_BASE_URL="https://pilote.example.fr",
    )
    process.metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
    return process


def publish(platform, event, envelope=None) -> dict:
    envelope = envelope or Envelope.wrap(event, correlation_id="test").model_dump(mode="json")
    publish_raw(platform.amqp_uri, envelope, event.routing_key(), producer=event.producer())
    return envelope


def member(platform, prefix="membre", role="job_seeker", agency="HDF-LILLE") -> dict:
    user = {"id": str(uuid.uuid4()), "role": role, "agency_code": agency,
            "email": f"{prefix}-{uuid.uuid4().hex[:8]}@exemple.fr"}
    publish(platform, UserRegistered(user_id=user["id"], email=user["email"], display_name="Camille", role=role,
                                     agency_code=agency, registered_at=NOW))
    with db_connect(platform, "notifications") as conn:
        wait_for(lambda: conn.execute("SELECT 1 FROM members WHERE id = %s", (user["id"],)).fetchone(),
                 message="the member to be known")
    return user


def decided(user, action="hide") -> CaseDecided:
    return CaseDecided(case_id=str(uuid.uuid4()), target_type="post", target_id=str(uuid.uuid4()),
                       target_author_id=user["id"], agency_code="HDF-LILLE", source="reports", action=action,
                       reason="Propos déplacés", decided_by=str(uuid.uuid4()), opened_at=NOW, decided_at=NOW)


def emails_of(platform, user) -> list[tuple]:
    with db_connect(platform, "notifications") as conn:
        return conn.execute("SELECT status, attempts, message_id, last_error FROM emails WHERE user_id = %s",
                            (user["id"],)).fetchall()


def received(smtp, message_id: str) -> list:
    return [m for m in smtp.messages() if str(m["Message-ID"]).strip() == message_id]


def test_a_comment_delivered_twice_makes_one_notification_in_the_inbox(platform, notifications, rpc):
    author, commenter = member(platform), member(platform)
    event = CommentPublished(comment_id=str(uuid.uuid4()), post_id=str(uuid.uuid4()), post_title="Devenir cariste",
                             post_author_id=author["id"], post_kind="question", author_id=commenter["id"],
                             author_role="job_seeker", agency_code="HDF-LILLE", created_at=NOW, published_at=NOW)
    envelope = publish(platform, event)
    publish(platform, event, envelope)

    page = wait_for(lambda: (p := rpc(author).notifications.list_notifications({}))["items"] and p,
                    message="the notification")
    wait_for(lambda: "duplicate event skipped" in notifications.logs(), message="the duplicate to be skipped")
    with db_connect(platform, "notifications") as conn:
        count = conn.execute("SELECT count(*) FROM notifications WHERE source_event_id = %s",
                             (envelope["event_id"],)).fetchone()[0]
    assert count == 1 and page["unread_count"] == 1
    [item] = page["items"]
    assert item["type"] == "comment_on_post" and item["link"] == f"/v1/posts/{event.post_id}"
    assert item["title"] == "Nouvelle réponse à votre question" and item["read"] is False
    assert rpc(commenter).notifications.list_notifications({})["items"] == []
    assert emails_of(platform, author) == []  # comments are not e-mailed by default

    with pytest.raises(RemoteError) as other:
        rpc(commenter).notifications.mark_read(item["id"])
    assert other.value.exc_type == "NotFound"
    rpc(author).notifications.mark_read(item["id"])
    assert rpc(author).notifications.list_notifications({"unread": True}) == {
        "items": [], "next_cursor": None, "unread_count": 0}


def test_a_moderation_decision_is_emailed_in_french_with_text_and_html(platform, notifications, rpc, smtp):
    author = member(platform)
    publish(platform, decided(author))
    [(status, attempts, message_id, _)] = wait_for(
        lambda: (rows := emails_of(platform, author)) and rows[0][0] == "sent" and rows,
        message="the e-mail to be sent")
    [message] = wait_for(lambda: received(smtp, message_id), message="the message at the SMTP server")
    [item] = rpc(author).notifications.list_notifications({})["items"]
    assert message_id == f"<notification.{item['id']}@pilote.example.fr>"
    assert message["To"] == author["email"] and message["Subject"] == "Votre publication a été masquée"
    text = message.get_body(("plain",)).get_content()
    assert text.startswith("Bonjour Camille,") and "Motif : Propos déplacés" in text
    assert "https://pilote.example.fr/v1/posts/" in text
    assert "<strong>Votre publication a été masquée</strong>" in message.get_body(("html",)).get_content()
    assert 'notifications_emails_sent_total{kind="notification"}' in httpx.get(notifications.metrics_url).text


def test_a_server_that_refuses_then_accepts_gets_the_message_once(platform, notifications, smtp):
    author = member(platform, prefix="flaky")
    publish(platform, decided(author, "reject"))
    [(status, attempts, message_id, error)] = wait_for(
        lambda: (rows := emails_of(platform, author)) and rows[0][0] == "sent" and rows,
        message="the e-mail to be sent after a retry")
    assert attempts == 2
    assert smtp.handler.refused[message_id] == 1
    assert len(received(smtp, message_id)) == 1


def test_an_email_the_server_keeps_refusing_is_given_up_and_counted(platform, notifications, smtp):
    author = member(platform, prefix="down")
    publish(platform, decided(author))
    [(status, attempts, message_id, error)] = wait_for(
        lambda: (rows := emails_of(platform, author)) and rows[0][0] == "failed" and rows,
        message="the e-mail to be given up")
    assert attempts == 3 and "451" in error
    assert received(smtp, message_id) == []
    metrics = httpx.get(notifications.metrics_url).text
    assert 'notifications_emails_failed_total{kind="notification"} 1.0' in metrics


def test_a_reaction_is_in_app_only_even_when_email_is_asked(platform, notifications, rpc):
    author, fan = member(platform), member(platform)
    with pytest.raises(RemoteError) as refused:
        rpc(author).notifications.update_preferences(
            {"channels": {"reaction": {"in_app": True, "email": True}}, "digest": "weekly"})
    assert refused.value.exc_type == "ValidationFailed"
    publish(platform, ReactionAdded(post_id=str(uuid.uuid4()), post_author_id=author["id"], user_id=fan["id"],
                                    type="support", agency_code="HDF-LILLE", reacted_at=NOW))
    [item] = wait_for(lambda: rpc(author).notifications.list_notifications({})["items"], message="the reaction")
    assert item["type"] == "reaction" and item["body"] == "Camille vous envoie son soutien."
    assert emails_of(platform, author) == []
    # Once the fan is erased, the same notification names them as deleted (rendered at read time).
    publish(platform, UserErased(user_id=fan["id"], erased_at=NOW))
    wait_for(lambda: rpc(author).notifications.list_notifications({})["items"][0]["body"]
             == "Membre supprimé vous envoie son soutien.", message="the fan's erasure")


def test_erasure_removes_everything_and_export_shows_it_before(platform, notifications, rpc):
    author = member(platform)
    rpc(author).notifications.update_preferences({"channels": {}, "digest": "daily"})
    publish(platform, decided(author))
    wait_for(lambda: (rows := emails_of(platform, author)) and rows[0][0] == "sent", message="the e-mail")
    exported = rpc(author).notifications.export_user_data()
    assert exported["contact"]["email"] == author["email"] and exported["preferences"]["digest"] == "daily"
    assert len(exported["notifications"]) == 1 and exported["emails"][0]["to"] == author["email"]

    publish(platform, UserErased(user_id=author["id"], erased_at=NOW))
    with db_connect(platform, "notifications") as conn:
        wait_for(lambda: conn.execute("SELECT erased_at FROM members WHERE id = %s", (author["id"],)).fetchone()[0],
                 message="the erasure")
        left = [conn.execute(f"SELECT count(*) FROM {table} WHERE user_id = %s", (author["id"],)).fetchone()[0]
                for table in ("notifications", "preferences", "emails", "digest_runs")]
        email = conn.execute("SELECT email, display_name FROM members WHERE id = %s", (author["id"],)).fetchone()
    assert left == [0, 0, 0, 0] and email == (None, None)
    after = rpc(author).notifications.export_user_data()
    assert after["contact"] is None and after["notifications"] == [] and after["emails"] == []
