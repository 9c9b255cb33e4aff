"""The posts service as a real process: it follows moderation's and
identity's events (published here as moderation and identity would) and
answers over RPC."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from kombu import Connection
from nameko.exceptions import RemoteError

from shared.contracts import Envelope
from shared.contracts.identity import UserErased
from shared.contracts.moderation import CaseDecided, ContentScreened, SanctionImposed, SanctionLifted
from shared.messaging.amqp import events_exchange
from stack.testing import db_connect, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def posts_service(start_service):
    return [start_service("identity"), start_service("posts")]


def publish(platform, event) -> None:
    envelope = Envelope.wrap(event, correlation_id="test").model_dump(mode="json")
    with Connection(platform.amqp_uri, transport_options={"confirm_publish": True}) as conn:
        conn.Producer(serializer="json").publish(
            envelope, exchange=events_exchange(event.producer()), routing_key=event.routing_key(), delivery_mode=2
        )


def as_caller(m):
    return {"id": m["id"], "role": m["role"], "agency_code": m["agency_code"]}


def now():
    return datetime.now(timezone.utc)


def screened(target_id, target_type="post", decision="publish"):
    return ContentScreened(target_type=target_type, target_id=target_id, decision=decision, reasons=[], screened_at=now())


def status_for(rpc, caller, post_id):
    try:
        return rpc(caller).posts.get_post(post_id)["status"]
    except RemoteError as error:
        return error.exc_type


def published_post(platform, rpc, author, title="Trouver un stage"):
    post = rpc(as_caller(author)).posts.create_post({"kind": "question", "title": title, "body": "Des pistes ?"})
    publish(platform, screened(post["id"]))
    wait_for(lambda: status_for(rpc, as_caller(author), post["id"]) == "published", timeout=5, message="publication")
    return post["id"]


def test_muted_member_gets_403_until_the_mute_is_lifted(posts_service, platform, rpc, make_member):
    muted = make_member()
    sanction = str(uuid.uuid4())
    publish(platform, SanctionImposed(sanction_id=sanction, user_id=muted["id"], agency_code="HDF-LILLE", type="mute",
                                      reason="Messages répétés", expires_at=now() + timedelta(hours=2),
                                      imposed_by=str(uuid.uuid4()), imposed_at=now()))
    data = {"kind": "question", "title": "Encore moi", "body": "Bonjour"}

    def refused():
        try:
            rpc(as_caller(muted)).posts.create_post(data)
            return False
        except RemoteError as error:
            return error.exc_type == "Forbidden" and "jusqu'au" in str(error.value)

    wait_for(refused, timeout=5, message="the mute to apply")
    publish(platform, SanctionLifted(sanction_id=sanction, user_id=muted["id"], type="mute", lifted_at=now()))
    wait_for(lambda: not refused(), timeout=5, message="the lift to apply")


def test_comment_is_screened_published_and_counted(posts_service, platform, rpc, make_member):
    author, helper = make_member(), make_member(display_name="Sam")
    post_id = published_post(platform, rpc, author)
    comment = rpc(as_caller(helper)).posts.add_comment(post_id, {"body": "Regarde la plateforme de l'agence."})
    assert comment["status"] == "pending"
    assert rpc(as_caller(author)).posts.list_comments(post_id, {})["items"] == []
    publish(platform, screened(comment["id"], "comment"))
    wait_for(lambda: rpc(as_caller(author)).posts.get_post(post_id)["comment_count"] == 1, timeout=5,
             message="the comment to be published")
    [listed] = rpc(as_caller(author)).posts.list_comments(post_id, {})["items"]
    assert listed["author"]["display_name"] == "Sam"
    accepted = rpc(as_caller(author)).posts.accept_answer(post_id, {"comment_id": comment["id"]})
    assert accepted["accepted_comment_id"] == comment["id"]
    with db_connect(platform, "posts") as conn:
        types = {row[0] for row in conn.execute(
            "SELECT event_type FROM outbox WHERE envelope->'payload'->>'post_id' = %s", (post_id,))}
    assert {"posts.comment_created", "posts.comment_published", "posts.answer_accepted"} <= types


def test_case_decided_hide_hides_from_others(posts_service, platform, rpc, make_member):
    author, reader = make_member(), make_member()
    post_id = published_post(platform, rpc, author, "À cacher")
    publish(platform, CaseDecided(case_id=str(uuid.uuid4()), target_type="post", target_id=post_id,
                                  target_author_id=author["id"], agency_code="HDF-LILLE", source="reports",
                                  action="hide", reason="Hors sujet.", decided_by=str(uuid.uuid4()),
                                  opened_at=now(), decided_at=now()))
    wait_for(lambda: status_for(rpc, as_caller(reader), post_id) == "NotFound", timeout=5, message="the post to be hidden")
    assert status_for(rpc, as_caller(author), post_id) == "hidden"


def test_erased_author_shows_as_deleted_member(posts_service, platform, rpc, make_member):
    author, reader = make_member(display_name="Dominique"), make_member()
    post_id = published_post(platform, rpc, author, "Mon témoignage")
    assert rpc(as_caller(reader)).posts.get_post(post_id)["author"]["display_name"] == "Dominique"
    assert [p["id"] for p in rpc(as_caller(reader)).posts.list_posts({"author": author["id"]})["items"]] == [post_id]
    publish(platform, UserErased(user_id=author["id"], erased_at=now()))
    wait_for(lambda: rpc(as_caller(reader)).posts.get_post(post_id)["author"] == {"id": None, "display_name": "Membre supprimé"},
             timeout=5, message="the author to be erased")
    with db_connect(platform, "posts") as conn:
        assert conn.execute("SELECT display_name FROM authors WHERE id = %s", (author["id"],)).fetchone() == (None,)
        [(moved_to,)] = conn.execute("SELECT author_id FROM posts WHERE id = %s", (post_id,)).fetchall()
    # The content moved to a fresh id: the old one, known to others, finds nothing any more.
    assert str(moved_to) != author["id"]
    assert rpc(as_caller(reader)).posts.list_posts({"author": author["id"]})["items"] == []
