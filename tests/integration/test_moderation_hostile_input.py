"""A hostile post does not stall moderation for everyone (issue 12, item 1),
through the real services: posts → moderation (worker processes) → posts."""
import time

import pytest

from stack.testing import db_connect, wait_for

pytestmark = pytest.mark.integration

# The pattern (the cubic IBAN search) and spelled e-mail near misses
# (the quadratic pattern): before, hours of screening.
HOSTILE_BODY = "AB12 " * 1900 + "a." * 4750


@pytest.fixture(scope="module")
def pipeline(start_service):
    return [start_service(name) for name in ("identity", "posts", "moderation")]


def as_caller(member):
    return {"id": member["id"], "role": member["role"], "agency_code": member["agency_code"]}


def status_of(rpc, member, post_id):
    try:
        return rpc(as_caller(member)).posts.get_post(post_id)["status"]
    except Exception:  # noqa: BLE001 - not visible yet
        return None


def test_a_clean_post_is_published_within_two_seconds_after_a_crafted_one(pipeline, rpc, make_member):
    attacker, member, reader = make_member(), make_member(), make_member()
    assert len(HOSTILE_BODY) == 19_000
    crafted = rpc(as_caller(attacker)).posts.create_post(
        {"kind": "discussion", "title": "Bonjour", "body": HOSTILE_BODY, "topics": []}
    )
    time.sleep(0.5)  # the timing: the clean question came half a second later
    started = time.monotonic()
    clean = rpc(as_caller(member)).posts.create_post(
        {"kind": "question", "title": "Formation cariste", "body": "Quel organisme pour le CACES 3 ?", "topics": []}
    )
    wait_for(lambda: status_of(rpc, reader, clean["id"]) == "published", timeout=2.0, interval=0.05,
             message="the clean post to be published")
    assert time.monotonic() - started < 2.0
    # The crafted post was screened too (nothing in it to hold), and the service answers RPCs.
    wait_for(lambda: status_of(rpc, attacker, crafted["id"]) == "published", timeout=5)
    assert rpc().moderation.health() == {"status": "ok"}


def test_personal_data_inside_a_long_hostile_text_is_still_found(pipeline, rpc, make_member, platform):
    author = make_member()
    body = "AB12 " * 1000 + "Mon IBAN : FR76 3000 6000 0112 3456 7890 189 " + "a." * 4000
    post = rpc(as_caller(author)).posts.create_post({"kind": "discussion", "title": "Virement", "body": body, "topics": []})
    wait_for(lambda: status_of(rpc, author, post["id"]) == "held", timeout=5, message="the post to be held")
    with db_connect(platform, "moderation") as conn:
        (reasons,) = conn.execute("SELECT reasons FROM cases WHERE target_id = %s", (post["id"],)).fetchone()
    assert reasons == ["personal_data.iban"]
