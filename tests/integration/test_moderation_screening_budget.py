"""Past its time budget, a text goes to a person, never published unscreened
(issue 12, item 1): moderation started with a budget no screening can meet.

The texts are long: a short one is screened in the service process, without a
worker or a budget (SCREENING_IN_PROCESS_CHARS, issue 17), and a worker
answers a short one within the hub's first wait (epoll waits whole
milliseconds), before a budget of 0.1 ms can fire."""
import pytest

from stack.testing import db_connect, wait_for

pytestmark = pytest.mark.integration

# About 10 ms of screening in a worker (9,450 characters).
LONG = "Je cherche des horaires adaptés pour une formation de cariste. " * 150


@pytest.fixture(scope="module")
def pipeline(start_service):
    return [start_service("identity"), start_service("posts"),
            start_service("moderation", SCREENING_BUDGET_SECONDS="0.0001", SCREENING_WORKERS="1")]


def test_a_text_screening_cannot_finish_in_time_is_held_for_a_person(pipeline, rpc, make_member, platform):
    author = make_member()
    me = {"id": author["id"], "role": author["role"], "agency_code": author["agency_code"]}
    post = rpc(me).posts.create_post(
        {"kind": "question", "title": "Horaires", "body": "Mon numéro : 06 12 34 56 78. " + LONG, "topics": []}
    )
    view = wait_for(lambda: (v := rpc(me).posts.get_post(post["id"]))["status"] == "held" and v, timeout=10,
                    message="the post to be held")
    assert view["moderation_reason"]
    with db_connect(platform, "moderation") as conn:
        reasons, excerpt, status = conn.execute(
            "SELECT reasons, excerpt, status FROM cases WHERE target_id = %s", (post["id"],)
        ).fetchone()
    assert reasons == ["screening.unfinished"] and status == "open"
    assert "06 12" not in excerpt  # the text was not analysed: nothing of it is kept
    # The worker was replaced each time: the next text is held the same way, not lost.
    second = rpc(me).posts.create_post({"kind": "question", "title": "Bonjour", "body": "Merci à tous. " + LONG,
                                        "topics": []})
    wait_for(lambda: rpc(me).posts.get_post(second["id"])["status"] == "held", timeout=10)
