"""mentoring over real RPC, PostgreSQL and RabbitMQ: profiles, requests,
matches under concurrency, early ends, completion at the end date, names
from identity's events and GDPR erasure."""
import uuid
from datetime import datetime, timezone

import pytest
from kombu import Connection
from nameko.exceptions import RemoteError

from shared.contracts import Envelope
from shared.contracts.identity import UserErased, UserRegistered
from shared.messaging.amqp import events_exchange
from stack.testing import db_connect, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def mentoring(start_service):
    start_service("moderation")  # screens each request's message before its mentor sees it
    return start_service("mentoring", MENTORING_SCAN_SECONDS=0.2)


def member(role="job_seeker", agency="ARA-GRENOBLE") -> dict:
    return {"id": str(uuid.uuid4()), "role": role, "agency_code": agency if role != "company" else None}


def publish_identity(platform, event) -> None:
    envelope = Envelope.wrap(event, correlation_id="test").model_dump(mode="json")
    with Connection(platform.amqp_uri, transport_options={"confirm_publish": True}) as conn:
        conn.Producer(serializer="json").publish(
            envelope, exchange=events_exchange("identity"), routing_key=event.routing_key(), delivery_mode=2
        )


def registered(platform, who: dict, name: str) -> None:
    publish_identity(platform, UserRegistered(
        user_id=who["id"], email=f"{uuid.uuid4().hex[:6]}@exemple.fr", display_name=name, role=who["role"],
        agency_code=who["agency_code"], registered_at=datetime.now(timezone.utc),
    ))


def become_mentor(rpc, capacity=2) -> tuple[dict, dict]:
    company = member("company")
    profile = rpc(company).mentoring.create_mentor(
        {"topics": ["logistique"], "bio": "Responsable d'entrepôt depuis dix ans.", "capacity": capacity}
    )
    return company, profile


def ask(rpc, seeker, mentor_id, message="Pouvez-vous m'aider ?") -> dict:
    """A request, once moderation found its message clean (its mentor sees it from then on)."""
    request = rpc(seeker).mentoring.request_mentoring({"mentor_id": mentor_id, "message": message})
    wait_for(lambda: screened(rpc, seeker, request["id"]) is None, timeout=5, message="the message to be screened")
    return request


def screened(rpc, seeker, request_id):
    [mine] = [r for r in rpc(seeker).mentoring.list_requests({"role": "mentee"})["items"] if r["id"] == request_id]
    return mine["message_moderation"]


def remote_error(call) -> str:
    with pytest.raises(RemoteError) as error:
        call()
    return error.value.exc_type


def outbox(platform, event_type: str, request_id: str) -> list[dict]:
    with db_connect(platform, "mentoring") as conn:
        rows = conn.execute(
            "SELECT envelope->'payload' FROM outbox WHERE event_type = %s"
            " AND envelope->'payload'->>'request_id' = %s ORDER BY id",
            (event_type, request_id),
        ).fetchall()
    return [row[0] for row in rows]


def test_a_message_with_an_e_mail_address_waits_for_a_moderator_before_the_mentor_sees_it(mentoring, rpc, platform):
    company, profile = become_mentor(rpc)
    seeker = member()
    request = rpc(seeker).mentoring.request_mentoring(
        {"mentor_id": profile["id"], "message": "Écrivez-moi plutôt à nadia.b@exemple.fr"})
    assert request["message_moderation"] == "pending"
    wait_for(lambda: screened(rpc, seeker, request["id"]) == "held", timeout=5, message="the message to be held")
    assert rpc(company).mentoring.list_requests({})["items"] == []
    assert remote_error(lambda: rpc(company).mentoring.accept_request(request["id"])) == "NotFound"
    assert outbox(platform, "mentoring.request_created", request["id"]) == []  # the mentor is not told
    with db_connect(platform, "moderation") as conn:
        case_id, excerpt = conn.execute(
            "SELECT id, excerpt FROM cases WHERE target_type = 'mentoring_request' AND target_id = %s",
            (request["id"],)).fetchone()
    assert "nadia.b@" not in excerpt

    admin = {"id": str(uuid.uuid4()), "role": "admin", "agency_code": None}
    rpc(admin).moderation.decide(str(case_id), {"action": "approve", "reason": "Adresse à usage professionnel"})
    wait_for(lambda: screened(rpc, seeker, request["id"]) is None, timeout=5, message="the approved message")
    [seen] = rpc(company).mentoring.list_requests({})["items"]
    assert seen["id"] == request["id"] and seen["message"].startswith("Écrivez-moi")
    wait_for(lambda: outbox(platform, "mentoring.request_created", request["id"]), timeout=5,
             message="the mentor to be told")


def test_one_mentor_profile_per_company_member(mentoring, rpc):
    company, profile = become_mentor(rpc)
    assert profile["capacity"] == 2 and profile["seats_left"] == 2
    again = {"topics": ["logistique"], "bio": "Encore moi.", "capacity": 1}
    assert remote_error(lambda: rpc(company).mentoring.create_mentor(again)) == "Conflict"
    assert remote_error(lambda: rpc(member()).mentoring.create_mentor(again)) == "Forbidden"
    listed = rpc(member()).mentoring.list_mentors({"topic": "logistique"})
    assert profile["id"] in [m["id"] for m in listed["items"]]
    assert profile["id"] not in [m["id"] for m in rpc(member()).mentoring.list_mentors({"topic": "btp"})["items"]]


def test_concurrent_acceptances_never_exceed_the_mentors_capacity(mentoring, rpc, platform):
    company, profile = become_mentor(rpc, capacity=2)
    requests = [ask(rpc, member(), profile["id"]) for _ in range(8)]
    mentor = rpc(company)

    replies = [mentor.mentoring.accept_request.call_async(r["id"]) for r in requests]
    accepted, refused = [], []
    for reply in replies:
        try:
            accepted.append(reply.result())
        except RemoteError as error:
            refused.append(error.exc_type)

    assert len(accepted) == 2 and refused == ["Conflict"] * 6
    with db_connect(platform, "mentoring") as conn:
        (active,) = conn.execute(
            "SELECT count(*) FROM mentoring_requests WHERE mentor_id = %s AND status = 'active'", (profile["id"],)
        ).fetchone()
    assert active == 2


def test_only_the_requested_mentor_answers(mentoring, rpc, platform):
    company, profile = become_mentor(rpc)
    seeker = member()
    request = ask(rpc, seeker, profile["id"])
    assert request["status"] == "pending"
    assert remote_error(lambda: ask(rpc, seeker, profile["id"])) == "Conflict"
    other_company, _ = become_mentor(rpc)
    assert remote_error(lambda: rpc(other_company).mentoring.accept_request(request["id"])) == "NotFound"
    assert remote_error(lambda: rpc(seeker).mentoring.accept_request(request["id"])) == "Forbidden"

    declined = rpc(company).mentoring.decline_request(request["id"])
    assert declined["status"] == "declined"
    assert remote_error(lambda: rpc(company).mentoring.accept_request(request["id"])) == "Conflict"
    (fact,) = outbox(platform, "mentoring.request_declined", request["id"])
    assert fact["mentee_id"] == seeker["id"]


def test_ending_early_frees_the_seat(mentoring, rpc, platform):
    company, profile = become_mentor(rpc, capacity=1)
    first_seeker, second_seeker = member(), member()
    first, second = ask(rpc, first_seeker, profile["id"]), ask(rpc, second_seeker, profile["id"])
    active = rpc(company).mentoring.accept_request(first["id"])
    assert active["status"] == "active" and active["ends_at"] > active["accepted_at"]
    assert remote_error(lambda: rpc(company).mentoring.accept_request(second["id"])) == "Conflict"

    ended = rpc(first_seeker).mentoring.end_mentorship(first["id"], {"reason": "J'ai trouvé un emploi !"})
    assert ended["status"] == "ended"
    assert rpc(company).mentoring.accept_request(second["id"])["status"] == "active"
    (fact,) = outbox(platform, "mentoring.mentorship_ended", first["id"])
    assert fact["early"] is True and fact["ended_by"] == first_seeker["id"]
    mine = rpc(company).mentoring.list_requests({"role": "mentor"})
    assert {r["id"] for r in mine["items"]} == {first["id"], second["id"]}


def test_a_mentorship_past_its_end_date_completes_exactly_once(mentoring, rpc, platform):
    company, profile = become_mentor(rpc, capacity=3)
    first, second = ask(rpc, member(), profile["id"]), ask(rpc, member(), profile["id"])
    rpc(company).mentoring.accept_request(first["id"])
    rpc(company).mentoring.accept_request(second["id"])
    with db_connect(platform, "mentoring") as conn:  # six months later
        conn.execute("UPDATE mentoring_requests SET ends_at = now() - interval '1 second' WHERE id = %s", (first["id"],))

    wait_for(lambda: outbox(platform, "mentoring.mentorship_ended", first["id"]), message="the first completion")
    with db_connect(platform, "mentoring") as conn:
        conn.execute("UPDATE mentoring_requests SET ends_at = now() - interval '1 second' WHERE id = %s", (second["id"],))
    # The second completion proves the timer ran again after the first.
    wait_for(lambda: outbox(platform, "mentoring.mentorship_ended", second["id"]), message="the second completion")

    (fact,) = outbox(platform, "mentoring.mentorship_ended", first["id"])
    assert fact["early"] is False and fact["ended_by"] is None
    statuses = {r["id"]: r["status"] for r in rpc(company).mentoring.list_requests({})["items"]}
    assert statuses[first["id"]] == statuses[second["id"]] == "completed"


def test_names_come_from_identity_and_erasure_forgets_the_member(mentoring, rpc, platform):
    company, profile = become_mentor(rpc, capacity=2)
    seeker = member()
    registered(platform, company, "Entreprise Durand")
    registered(platform, seeker, "Nadia")
    request = ask(rpc, seeker, profile["id"])
    rpc(company).mentoring.accept_request(request["id"])
    wait_for(
        lambda: rpc(company).mentoring.list_requests({})["items"][0]["mentee"]["display_name"] == "Nadia",
        message="the mentee's name",
    )
    exported = rpc(seeker).mentoring.export_user_data()
    assert exported["member"]["display_name"] == "Nadia"
    assert exported["requests_as_mentee"][0]["message"] == "Pouvez-vous m'aider ?"

    publish_identity(platform, UserErased(user_id=seeker["id"], erased_at=datetime.now(timezone.utc)))

    def erased():
        view = rpc(company).mentoring.list_requests({})["items"][0]
        return view["mentee"]["id"] is None and view

    view = wait_for(erased, message="the mentee to be erased")
    assert view["status"] == "ended" and view["message"] == "" and view["mentee"]["display_name"] == "Membre supprimé"
    assert rpc(seeker).mentoring.export_user_data() == {
        "member": None, "mentor_profile": None, "requests_as_mentee": [], "requests_as_mentor": [],
    }
    (fact,) = outbox(platform, "mentoring.mentorship_ended", request["id"])
    assert fact["early"] is True and fact["mentee_id"] == seeker["id"]
