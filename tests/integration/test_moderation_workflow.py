"""moderation over the real broker and database: screening from posts' events,
reports, decisions, sanctions lifted once by several replicas, unanswered
questions flagged once, and the audit log the database keeps append-only.

Posts' side is played by publishing its events (its service is not needed to
prove moderation's behaviour); members come from the real identity service.
"""
import uuid
from datetime import datetime, timezone

import psycopg
import pytest
from kombu import Connection
from nameko.exceptions import RemoteError

from shared.contracts import Envelope
from shared.contracts.posts import PostCreated, PostPublished
from shared.messaging.amqp import events_exchange
from stack.testing import db_connect, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def moderation(start_service):
    start_service("identity")
    # Two replicas: every timer job must still happen exactly once.
    return [
        start_service("moderation", MODERATION_SWEEP_SECONDS=0.3, UNANSWERED_AFTER_HOURS=0.0005)
        for _ in range(2)
    ]


def publish(platform, event) -> None:
    envelope = Envelope.wrap(event, correlation_id="test").model_dump(mode="json")
    with Connection(platform.amqp_uri, transport_options={"confirm_publish": True}) as conn:
        conn.Producer(serializer="json").publish(
            envelope, exchange=events_exchange(event.producer()), routing_key=event.routing_key(), delivery_mode=2
        )


def caller_of(user: dict) -> dict:
    return {"id": user["id"], "role": user["role"], "agency_code": user["agency_code"]}


def outbox(platform, event_type: str, **payload) -> list[dict]:
    with db_connect(platform, "moderation") as conn:
        rows = conn.execute("SELECT envelope FROM outbox WHERE event_type = %s ORDER BY id", (event_type,)).fetchall()
    found = [row[0]["payload"] for row in rows]
    return [p for p in found if all(p.get(k) == v for k, v in payload.items())]


def write_post(platform, author: dict, body: str, kind: str = "discussion", title: str = "Un sujet",
               published: bool = True) -> str:
    post_id, now = str(uuid.uuid4()), datetime.now(timezone.utc)
    publish(platform, PostCreated(post_id=post_id, author_id=author["id"], agency_code=author["agency_code"], kind=kind,
                                  title=title, body=body, topics=[], created_at=now))
    wait_for(lambda: outbox(platform, "moderation.content_screened", target_id=post_id), message="screening")
    if published:
        publish(platform, PostPublished(post_id=post_id, author_id=author["id"], agency_code=author["agency_code"],
                                        kind=kind, topics=[], published_at=now))
    return post_id


def member_known(platform, user: dict) -> dict:
    def known():
        with db_connect(platform, "moderation") as conn:
            return conn.execute("SELECT 1 FROM members WHERE id = %s", (user["id"],)).fetchone()

    wait_for(known, message="moderation to learn of the member")
    return user


def test_a_post_with_a_social_security_number_is_held_and_queued_masked(moderation, platform, rpc, make_member, admin):
    author = make_member("job_seeker", "HDF-LILLE")
    post_id = write_post(platform, author, "Mon numéro de sécu : 1 55 08 14 168 025 88", published=False)

    [screened] = outbox(platform, "moderation.content_screened", target_id=post_id)
    assert (screened["decision"], screened["reasons"]) == ("hold", ["personal_data.nir"])
    advisor = make_member("advisor", "HDF-LILLE")
    items = rpc(caller_of(advisor)).moderation.queue({})["items"]
    [item] = [i for i in items if i["target_id"] == post_id]
    assert item["id"] == screened["case_id"] and item["source"] == "screening"
    assert "168 025" not in item["excerpt"] and "[masqué]" in item["excerpt"]
    other_advisor = make_member("advisor", "HDF-AMIENS")
    assert post_id not in {i["target_id"] for i in rpc(caller_of(other_advisor)).moderation.queue({})["items"]}


def test_three_reports_hide_then_a_decision_resolves_every_report(moderation, platform, rpc, make_member):
    author = member_known(platform, make_member("job_seeker", "ARA-GRENOBLE"))
    post_id = write_post(platform, author, "Un message limite")
    reporters = [make_member("job_seeker", "ARA-GRENOBLE") for _ in range(3)]

    def visible():
        with db_connect(platform, "moderation") as conn:
            return conn.execute("SELECT status FROM targets WHERE target_id = %s", (post_id,)).fetchone() == ("published",)

    wait_for(visible, message="the post to be known as published")
    for i, reporter in enumerate(reporters):
        assert rpc(caller_of(reporter)).moderation.report(
            {"target_type": "post", "target_id": post_id, "reason": "abuse"})["status"] == "received"
        if i == 0:  # once per member and target
            with pytest.raises(RemoteError, match="Conflict"):
                rpc(caller_of(reporter)).moderation.report({"target_type": "post", "target_id": post_id, "reason": "spam"})
        assert bool(outbox(platform, "moderation.target_hidden", target_id=post_id)) == (i == 2)

    [hidden] = outbox(platform, "moderation.target_hidden", target_id=post_id)
    advisor = make_member("advisor", "ARA-GRENOBLE")
    decided = rpc(caller_of(advisor)).moderation.decide(hidden["case_id"], {"action": "hide", "reason": "Propos blessants"})
    assert decided["status"] == "decided"

    [case_decided] = outbox(platform, "moderation.case_decided", target_id=post_id)
    assert (case_decided["action"], case_decided["target_author_id"], case_decided["decided_by"]) == (
        "hide", author["id"], advisor["id"])
    resolved = outbox(platform, "moderation.report_resolved", target_id=post_id)
    assert sorted(r["reporter_id"] for r in resolved) == sorted(r["id"] for r in reporters)
    audit = rpc(caller_of(advisor)).moderation.audit_log({"target_id": post_id})["items"]
    assert [(e["action"], e["actor_id"]) for e in audit] == [("case_decided", advisor["id"]), ("target_hidden", None)]


def test_expired_sanctions_are_lifted_exactly_once_by_two_replicas(moderation, platform, rpc, make_member, admin):
    members = [member_known(platform, make_member("job_seeker", "HDF-LILLE")) for _ in range(12)]
    sanctions = [
        rpc(admin).moderation.impose_sanction(
            {"user_id": m["id"], "type": "mute" if i % 2 else "suspend", "duration_hours": 0.0004, "reason": "Flood"})
        for i, m in enumerate(members)
    ]
    ids = {s["id"] for s in sanctions}
    wait_for(lambda: ids <= {e["sanction_id"] for e in outbox(platform, "moderation.sanction_lifted")}, timeout=15,
             message="every sanction to be lifted")
    # A later sanction lifted proves both replicas swept again after the first batch.
    late = rpc(admin).moderation.impose_sanction(
        {"user_id": members[0]["id"], "type": "mute", "duration_hours": 0.0004, "reason": "Encore"})
    wait_for(lambda: outbox(platform, "moderation.sanction_lifted", sanction_id=late["id"]), timeout=15,
             message="the later sanction to be lifted")
    lifted = [e["sanction_id"] for e in outbox(platform, "moderation.sanction_lifted") if e["sanction_id"] in ids]
    assert sorted(lifted) == sorted(ids)  # each exactly once


def test_an_unanswered_question_is_brought_to_advisors_once(moderation, platform, start_service):
    asker = {"id": str(uuid.uuid4()), "agency_code": "IDF-MONTREUIL"}
    first = write_post(platform, asker, "Qui connaît une formation de cariste ?", kind="question", title="Cariste")
    wait_for(lambda: outbox(platform, "moderation.question_unanswered", post_id=first), timeout=15,
             message="the question to be flagged")
    # Restarted replicas do not flag it again: the flag is in the database.
    for replica in moderation:
        replica.stop()
    moderation.append(start_service("moderation", MODERATION_SWEEP_SECONDS=0.3, UNANSWERED_AFTER_HOURS=0.0005))
    second = write_post(platform, asker, "Et pour le CACES ?", kind="question", title="CACES")
    wait_for(lambda: outbox(platform, "moderation.question_unanswered", post_id=second), timeout=15,
             message="the second question to be flagged")
    [flagged] = outbox(platform, "moderation.question_unanswered", post_id=first)
    assert (flagged["post_title"], flagged["agency_code"], flagged["author_id"]) == ("Cariste", "IDF-MONTREUIL", asker["id"])


def test_the_database_refuses_to_alter_the_audit_log(moderation, platform, rpc, make_member, admin):
    target = member_known(platform, make_member("job_seeker", "HDF-LILLE"))
    rpc(admin).moderation.impose_sanction({"user_id": target["id"], "type": "warn", "reason": "Rappel à la charte"})
    with db_connect(platform, "moderation") as conn:
        (entry_id,) = conn.execute("SELECT id FROM audit_log WHERE target_id = %s", (target["id"],)).fetchone()
        for statement in ("UPDATE audit_log SET reason = 'rien' WHERE id = %s", "DELETE FROM audit_log WHERE id = %s"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                conn.execute(statement, (entry_id,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            conn.execute("TRUNCATE audit_log")
        assert conn.execute("SELECT reason FROM audit_log WHERE id = %s", (entry_id,)).fetchone() == ("Rappel à la charte",)
