"""Migration 0003 of notifications: texts made before names were put in at
read time get the actor's slot (the member of that name when only one live
member has it, else "Un membre"), in the notification and its e-mails; a
downgrade puts names back."""
import uuid
from datetime import datetime, timezone

import pytest
from alembic import command

from services.notifications import messages
from shared.db import migrations
from shared.db.engine import drop_database, ensure_database
from stack.testing import db_connect

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def legacy(platform):
    settings = platform.model_copy(update={"db_name_prefix": f"{platform.db_name_prefix}slots_"})
    ensure_database(settings, "notifications")
    migrations.upgrade(settings, "notifications", "0002")
    yield settings
    drop_database(settings, "notifications")


def add_member(conn, name):
    member = uuid.uuid4()
    conn.execute("INSERT INTO members (id, display_name, email, role, agency_code, version) "
                 "VALUES (%s, %s, %s, 'job_seeker', 'HDF-LILLE', 1)", (member, name, f"{member.hex[:8]}@exemple.fr"))
    return member


def add_notification(conn, recipient, notification_type, body, email=True):
    notification = uuid.uuid4()
    conn.execute("INSERT INTO notifications (id, user_id, type, title, body, link, in_app, source_event_id, created_at) "
                 "VALUES (%s, %s, %s, 'Titre', %s, NULL, true, %s, %s)",
                 (notification, recipient, notification_type, body, uuid.uuid4(), NOW))
    if email:
        conn.execute("INSERT INTO emails (id, user_id, kind, notification_id, message_id, to_address, subject, text_body, "
                     "html_body, status, attempts, next_attempt_at, created_at) VALUES (%s, %s, 'notification', %s, %s, "
                     "'x@exemple.fr', 'Titre', %s, %s, 'sent', 1, %s, %s)",
                     (uuid.uuid4(), recipient, notification, f"<{notification}@x>", f"Bonjour,\n\n{body}\n",
                      f"<p>{body.replace('<', '&lt;')}</p>", NOW, NOW))
    return notification


def test_legacy_texts_get_the_actors_slot_and_a_downgrade_names_them_again(legacy):
    with db_connect(legacy, "notifications") as conn:
        recipient, zoe = add_member(conn, "Alice"), add_member(conn, "Zoé")
        add_member(conn, "Sam"), add_member(conn, "Sam")  # namesakes: the name cannot say which
        by_zoe = add_notification(conn, recipient, "comment_on_post",
                                  "Zoé a commenté votre publication « le bilan ».")
        by_a_sam = add_notification(conn, recipient, "reaction", "Sam vous envoie son soutien.")
        no_actor = add_notification(conn, recipient, "event_reminder", "Rappel : « le bilan » a lieu demain.")

    migrations.upgrade(legacy, "notifications", "head")

    with db_connect(legacy, "notifications") as conn:
        body = dict(conn.execute("SELECT id, body FROM notifications").fetchall())
        text, html_body = conn.execute("SELECT text_body, html_body FROM emails WHERE notification_id = %s",
                                       (by_zoe,)).fetchone()
    assert body[by_zoe] == messages.actor(str(zoe)) + " a commenté votre publication « le bilan »."
    assert body[by_a_sam] == "Un membre vous envoie son soutien."
    assert body[no_actor] == "Rappel : « le bilan » a lieu demain."
    assert "Zoé" not in text + html_body and messages.actor(str(zoe)) in text and messages.actor(str(zoe)) in html_body

    command.downgrade(migrations.alembic_config("notifications", legacy.database_url("notifications")), "0002")
    with db_connect(legacy, "notifications") as conn:
        assert conn.execute("SELECT body FROM notifications WHERE id = %s", (by_zoe,)).fetchone()[0] == \
            "Zoé a commenté votre publication « le bilan »."
        assert "Zoé a commenté" in conn.execute("SELECT text_body FROM emails WHERE notification_id = %s",
                                                 (by_zoe,)).fetchone()[0]


def test_legacy_actor_takes_the_earliest_phrase_and_leaves_placeholders():
    assert messages.legacy_actor("Zoé a commenté votre publication « x a répondu à votre question y ».") == (
        "Zoé", " a commenté votre publication ")
    assert messages.legacy_actor("Un membre vous envoie son soutien.") is None
    assert messages.legacy_actor("Votre place est réservée pour « a ».") is None
    assert messages.legacy_actor(messages.actor(str(uuid.uuid4())) + " vous envoie son soutien.") is None
