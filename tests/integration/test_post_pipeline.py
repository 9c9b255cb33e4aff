"""posts → moderation → posts → analytics over real events."""
import time

import pytest

from stack.testing import db_connect, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def pipeline(start_service):
    return [start_service(name) for name in ("identity", "posts", "moderation", "analytics")]


def as_caller(member):
    return {"id": member["id"], "role": member["role"], "agency_code": member["agency_code"]}


def test_clean_post_is_published_within_two_seconds_and_counted(pipeline, rpc, make_member, admin):
    author = make_member("job_seeker", "ARA-GRENOBLE")
    before = rpc(admin).analytics.posts_per_agency().get("ARA-GRENOBLE", 0)
    started = time.monotonic()
    post = rpc(as_caller(author)).posts.create_post(
        {"kind": "question", "title": "Passer le CACES", "body": "Quel centre recommandez-vous ?", "topics": ["N1101"]}
    )
    assert post["status"] == "pending"
    reader = make_member("job_seeker", "ARA-GRENOBLE")

    def published():
        try:
            return rpc(as_caller(reader)).posts.get_post(post["id"])["status"] == "published"
        except Exception:
            return False

    wait_for(published, timeout=2.0, interval=0.05, message="the clean post to be published")
    assert time.monotonic() - started < 2.0
    wait_for(lambda: rpc(admin).analytics.posts_per_agency().get("ARA-GRENOBLE", 0) == before + 1, timeout=5)


def test_post_with_a_phone_number_is_held_with_its_reason(pipeline, rpc, make_member, platform):
    author = make_member()
    post = rpc(as_caller(author)).posts.create_post(
        {"kind": "discussion", "title": "Covoiturage", "body": "Appelez-moi au 06 12 34 56 78", "topics": []}
    )
    view = wait_for(
        lambda: (v := rpc(as_caller(author)).posts.get_post(post["id"]))["status"] == "held" and v,
        timeout=5,
        message="the post to be held",
    )
    assert "téléphone" in view["moderation_reason"]
    with db_connect(platform, "moderation") as conn:
        reasons, excerpt = conn.execute(
            "SELECT reasons, excerpt FROM cases WHERE target_id = %s", (post["id"],)
        ).fetchone()
    assert reasons == ["personal_data.phone"]
    assert "06 12 34 56 78" not in excerpt and "12 34" not in excerpt
