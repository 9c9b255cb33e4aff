"""A person's decision sticks (issue 12, item 3), through the real services:
"A post hidden after three reports is published again when its author
changes one character"; now it goes back to the moderators."""
import pytest

from stack.testing import db_connect, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def pipeline(start_service):
    return [start_service(name) for name in ("identity", "posts", "moderation")]


def as_caller(member):
    return {"id": member["id"], "role": member["role"], "agency_code": member["agency_code"]}


def status(rpc, author, post_id):
    return rpc(as_caller(author)).posts.get_post(post_id)["status"]


def resolved_reports(platform, post_id) -> int:
    with db_connect(platform, "moderation") as conn:
        rows = conn.execute("SELECT envelope FROM outbox WHERE event_type = 'moderation.report_resolved'").fetchall()
    return sum(1 for (envelope,) in rows if envelope["payload"]["target_id"] == post_id)


def test_a_hidden_post_edited_by_one_character_goes_back_to_the_moderators(pipeline, rpc, make_member, platform):
    author = make_member()
    post = rpc(as_caller(author)).posts.create_post(
        {"kind": "discussion", "title": "Bons plans", "body": "Venez voir mes bons plans", "topics": []}
    )
    wait_for(lambda: status(rpc, author, post["id"]) == "published", timeout=5)
    for _ in range(3):
        rpc(as_caller(make_member())).moderation.report({"target_type": "post", "target_id": post["id"], "reason": "spam"})
    wait_for(lambda: status(rpc, author, post["id"]) == "hidden", timeout=5, message="the post to be hidden")

    rpc(as_caller(author)).posts.edit_post(post["id"], {"body": "Venez voir mes bons plans !"})
    view = wait_for(lambda: (v := rpc(as_caller(author)).posts.get_post(post["id"]))["status"] != "pending" and v,
                    timeout=5, message="the edit to be screened")
    assert view["status"] == "held" and view["moderation_reason"]

    advisor = make_member("advisor")
    [case] = [c for c in rpc(as_caller(advisor)).moderation.queue({})["items"] if c["target_id"] == post["id"]]
    assert case["source"] == "reports" and "review.edited_after_decision" in case["reasons"]
    rpc(as_caller(advisor)).moderation.decide(case["id"], {"action": "hide", "reason": "Publicité"})
    wait_for(lambda: status(rpc, author, post["id"]) == "hidden", timeout=5)
    wait_for(lambda: resolved_reports(platform, post["id"]) == 3, timeout=5)

    # Hidden by a person, edited again: a new case, still not published.
    rpc(as_caller(author)).posts.edit_post(post["id"], {"body": "Venez voir mes bons plans."})
    wait_for(lambda: status(rpc, author, post["id"]) == "held", timeout=5, message="the second edit to be held")
    [new] = [c for c in rpc(as_caller(advisor)).moderation.queue({})["items"] if c["target_id"] == post["id"]]
    assert new["id"] != case["id"]
    rpc(as_caller(advisor)).moderation.decide(new["id"], {"action": "approve", "reason": "Corrigé"})
    wait_for(lambda: status(rpc, author, post["id"]) == "published", timeout=5)
    assert resolved_reports(platform, post["id"]) == 3  # the reporters were told once
