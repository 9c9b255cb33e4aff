"""notifications use cases over in-memory fakes."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.notifications import handlers
from shared.mail import DeliveryFailed
from services.notifications.settings import NotificationSettings
from shared.caller import Caller
from shared.contracts.events import CalendarEventCancelled, RegistrationConfirmed, ReminderDue
from shared.contracts.identity import ProfileUpdated, UserErased, UserRegistered
from shared.contracts.mentoring import MentoringAccepted, MentoringDeclined, MentoringRequested, MentorshipEnded
from shared.contracts.moderation import CaseDecided, QuestionUnanswered, ReportResolved, SanctionImposed
from shared.contracts.notifications import NotificationCreated
from shared.contracts.posts import AnswerAccepted, CommentCreated, CommentPublished, ReactionAdded
from shared.errors import NotFound, Unauthorized, ValidationFailed
from tests.unit.fakes import FakeNotificationsUnitOfWork, FakeSmtpTransport

NOW = datetime(2026, 3, 4, 9, 30, tzinfo=timezone.utc)
CONFIG = NotificationSettings(smtp_from="Plateforme <ne-pas-repondre@pilote.example.fr>",
                              app_base_url="https://pilote.example.fr", email_retry_base_seconds=10,
                              email_retry_max_seconds=60, email_max_attempts=3)
ALICE = Caller(str(uuid.uuid4()), "job_seeker", "HDF-LILLE")
BOB = Caller(str(uuid.uuid4()), "job_seeker", "HDF-LILLE")
ADVISOR = Caller(str(uuid.uuid4()), "advisor", "HDF-LILLE")
OTHER_ADVISOR = Caller(str(uuid.uuid4()), "advisor", "IDF-MONTREUIL")
MENTOR = Caller(str(uuid.uuid4()), "company", None)


def registered(caller: Caller, name: str) -> UserRegistered:
    return UserRegistered(user_id=caller.id, email=f"{name.lower()}@exemple.fr", display_name=name, role=caller.role,
                          agency_code=caller.agency_code, registered_at=NOW)


@pytest.fixture
def uow():
    uow = FakeNotificationsUnitOfWork()
    for caller, name in ((ALICE, "Alice"), (BOB, "Bob"), (ADVISOR, "Nadia"), (OTHER_ADVISOR, "Paul"),
                         (MENTOR, "Marc")):
        uow.members.remember(registered(caller, name))
    return uow


def shown(uow, notification) -> str:
    """The body as the member reads it (names put in at read time)."""
    return handlers.notification_view(notification, handlers.names_for(uow, [notification]))["body"]


def notify(uow, event, event_id=None, now=NOW):
    made = handlers.notify(uow, event, event_id or uuid.uuid4(), now, CONFIG)
    uow.commit()
    return made


def comment(author=BOB, post_author=ALICE, kind="question") -> CommentPublished:
    return CommentPublished(comment_id=str(uuid.uuid4()), post_id=str(uuid.uuid4()), post_title="Devenir cariste",
                            post_author_id=post_author.id, post_kind=kind, author_id=author.id,
                            author_role=author.role, agency_code="HDF-LILLE", created_at=NOW, published_at=NOW)


def reaction(user=BOB, post_author=ALICE) -> ReactionAdded:
    return ReactionAdded(post_id=str(uuid.uuid4()), post_author_id=post_author.id, user_id=user.id, type="thanks",
                         agency_code="HDF-LILLE", reacted_at=NOW)


def case_decided(action="reject", target_type="post", target_id=None) -> CaseDecided:
    return CaseDecided(case_id=str(uuid.uuid4()), target_type=target_type, target_id=target_id or str(uuid.uuid4()),
                       target_author_id=ALICE.id, agency_code="HDF-LILLE", source="screening", action=action,
                       reason="Coordonnées personnelles", decided_by=ADVISOR.id, opened_at=NOW, decided_at=NOW)


# ---------------------------------------------------------------- who is notified, with which texts


def test_a_comment_notifies_the_posts_author_in_french_with_a_link_and_an_event(uow):
    event = comment()
    [made] = notify(uow, event)

    assert made.user_id == uuid.UUID(ALICE.id) and made.type == "comment_on_post"
    assert made.title == "Nouvelle réponse à votre question"
    assert "Bob a répondu à votre question « Devenir cariste »" in shown(uow, made)
    assert made.link == f"/v1/posts/{event.post_id}"
    [created] = uow.published_of(NotificationCreated)
    assert created.user_id == ALICE.id and created.notification_id == str(made.id) and created.link == made.link


def test_commenting_ones_own_post_notifies_nobody(uow):
    assert notify(uow, comment(author=ALICE, post_author=ALICE)) == []
    assert uow.notifications.rows == [] and uow.published == []


def test_the_same_event_twice_makes_one_notification(uow):
    event, event_id = comment(), uuid.uuid4()
    notify(uow, event, event_id)
    assert notify(uow, event, event_id) == []
    assert len(uow.notifications.rows) == 1 and len(uow.published_of(NotificationCreated)) == 1


def test_an_accepted_answer_notifies_the_answers_author(uow):
    event = AnswerAccepted(post_id=str(uuid.uuid4()), post_title="CACES", comment_id=str(uuid.uuid4()),
                           question_author_id=ALICE.id, answer_author_id=BOB.id, accepted_by=ADVISOR.id,
                           validated_by_advisor=True, agency_code="HDF-LILLE", accepted_at=NOW)
    [made] = notify(uow, event)
    assert made.user_id == uuid.UUID(BOB.id) and made.type == "answer_accepted"
    assert "Un conseiller a validé votre réponse" in shown(uow, made)


def test_reactions_are_in_app_and_never_emailed_even_when_asked(uow):
    uow.preferences.put(uuid.UUID(ALICE.id), {"reaction": {"in_app": True, "email": True}}, "weekly", NOW)
    [made] = notify(uow, reaction())
    assert made.type == "reaction" and made.in_app
    assert "Bob vous remercie" in shown(uow, made)
    assert uow.emails.rows == []


def test_important_types_are_emailed_by_default_and_others_not(uow):
    notify(uow, comment())
    assert uow.emails.rows == []
    notify(uow, case_decided())
    [email] = uow.emails.rows
    assert email.to_address == "alice@exemple.fr" and email.kind == "notification"
    assert email.subject == "Votre publication n'a pas été retenue"
    assert "Bonjour Alice," in email.text_body and "Motif : Coordonnées personnelles" in email.text_body
    assert "https://pilote.example.fr/v1/posts/" in email.text_body and "<a href=" in email.html_body
    assert email.message_id == f"<notification.{email.notification_id}@pilote.example.fr>"


def test_a_member_who_turned_in_app_off_gets_only_the_email(uow):
    uow.preferences.put(uuid.UUID(ALICE.id), {"moderation_decision": {"in_app": False, "email": True}}, "off", NOW)
    notify(uow, case_decided())
    assert len(uow.emails.rows) == 1
    assert uow.published_of(NotificationCreated) == []
    assert handlers.list_notifications(uow, ALICE, {})["items"] == []


def test_a_member_who_turned_everything_off_gets_nothing(uow):
    uow.preferences.put(uuid.UUID(ALICE.id), {"comment_on_post": {"in_app": False, "email": False}}, "off", NOW)
    assert notify(uow, comment()) == []


def test_a_decision_on_a_comment_links_to_its_post(uow):
    comment_id, post_id = uuid.uuid4(), uuid.uuid4()
    handlers.remember_comment(uow, CommentCreated(comment_id=str(comment_id), post_id=str(post_id),
                                                  post_author_id=BOB.id, post_kind="question", author_id=ALICE.id,
                                                  agency_code="HDF-LILLE", body="…", created_at=NOW))
    [made] = notify(uow, case_decided("hide", "comment", str(comment_id)))
    assert made.title == "Votre commentaire a été masqué" and made.link == f"/v1/posts/{post_id}"


@pytest.mark.parametrize("action, words", [("approve", "reste en ligne"), ("hide", "masquée"), ("reject", "retirée")])
def test_a_reporter_is_told_the_outcome(uow, action, words):
    event = ReportResolved(report_id=str(uuid.uuid4()), reporter_id=BOB.id, target_type="post",
                           target_id=str(uuid.uuid4()), action=action, resolved_at=NOW)
    [made] = notify(uow, event)
    assert made.user_id == uuid.UUID(BOB.id) and made.type == "report_resolved" and words in shown(uow, made)


def test_a_sanction_is_notified_and_emailed_with_its_end(uow):
    event = SanctionImposed(sanction_id=str(uuid.uuid4()), user_id=BOB.id, agency_code="HDF-LILLE", type="mute",
                            reason="Propos insultants", expires_at=datetime(2026, 3, 6, 17, 0, tzinfo=timezone.utc),
                            imposed_by=ADVISOR.id, imposed_at=NOW)
    [made] = notify(uow, event)
    assert made.type == "sanction" and "jusqu'au vendredi 6 mars à 18 h 00" in shown(uow, made)
    assert [e.to_address for e in uow.emails.rows] == ["bob@exemple.fr"]


def test_an_unanswered_question_goes_to_every_advisor_of_its_agency_only(uow):
    second = Caller(str(uuid.uuid4()), "advisor", "HDF-LILLE")
    uow.members.remember(registered(second, "Inès"))
    event = QuestionUnanswered(post_id=str(uuid.uuid4()), post_title="Aide au permis", author_id=ALICE.id,
                               agency_code="HDF-LILLE", asked_at=NOW, flagged_at=NOW)
    made = notify(uow, event)
    assert {str(n.user_id) for n in made} == {ADVISOR.id, second.id}
    assert all(n.type == "question_unanswered" for n in made)


def test_a_registration_and_a_waitlist_promotion_have_their_own_types(uow):
    def confirmed(promoted):
        return RegistrationConfirmed(registration_id=str(uuid.uuid4()), calendar_event_id="ev-1", user_id=ALICE.id,
                                     agency_code="HDF-LILLE", title="Forum de l'emploi",
                                     starts_at=datetime(2026, 3, 10, 13, 0, tzinfo=timezone.utc),
                                     promoted_from_waitlist=promoted, confirmed_at=NOW)
    [direct] = notify(uow, confirmed(False))
    [promoted] = notify(uow, confirmed(True))
    assert direct.type == "event_registration_confirmed" and "mardi 10 mars à 14 h 00" in shown(uow, direct)
    assert promoted.type == "event_waitlist_promoted" and promoted.link == "/v1/events/ev-1"


def test_a_cancelled_event_notifies_every_registrant_once(uow):
    event = CalendarEventCancelled(calendar_event_id="ev-2", agency_code="HDF-LILLE", title="Atelier CV",
                                   starts_at=NOW + timedelta(days=2), reason="Intervenant malade",
                                   registrant_ids=[ALICE.id, BOB.id, ALICE.id], cancelled_by=ADVISOR.id,
                                   cancelled_at=NOW)
    made = notify(uow, event)
    assert sorted(str(n.user_id) for n in made) == sorted([ALICE.id, BOB.id])
    assert all("Intervenant malade" in shown(uow, n) for n in made) and len(uow.emails.rows) == 2


def test_a_reminder_gives_place_and_time(uow):
    event = ReminderDue(calendar_event_id="ev-3", registration_id=str(uuid.uuid4()), user_id=ALICE.id,
                        title="Job dating", starts_at=NOW + timedelta(days=1), location="Agence de Lille",
                        online_url=None)
    [made] = notify(uow, event)
    assert made.type == "event_reminder" and "Lieu : Agence de Lille" in shown(uow, made)


def test_mentoring_request_goes_to_the_mentor_and_answers_to_the_mentee(uow):
    request_id = str(uuid.uuid4())
    [asked] = notify(uow, MentoringRequested(request_id=request_id, mentor_id="m-1", mentor_user_id=MENTOR.id,
                                             mentee_id=ALICE.id, agency_code="HDF-LILLE", created_at=NOW))
    [accepted] = notify(uow, MentoringAccepted(request_id=request_id, mentor_id="m-1", mentor_user_id=MENTOR.id,
                                               mentee_id=ALICE.id, agency_code="HDF-LILLE", requested_at=NOW,
                                               accepted_at=NOW, ends_at=NOW + timedelta(days=180)))
    [declined] = notify(uow, MentoringDeclined(request_id=request_id, mentor_user_id=MENTOR.id, mentee_id=BOB.id,
                                               agency_code="HDF-LILLE", declined_at=NOW))
    assert asked.user_id == uuid.UUID(MENTOR.id) and "Alice aimerait" in shown(uow, asked)
    assert asked.link == "/v1/mentoring/requests"
    assert accepted.user_id == uuid.UUID(ALICE.id) and "Marc a accepté" in shown(uow, accepted)
    assert declined.user_id == uuid.UUID(BOB.id) and declined.type == accepted.type == "mentoring_answer"


def test_a_mentorship_ended_early_tells_the_other_side_and_a_completed_one_both(uow):
    def ended(early, by):
        return MentorshipEnded(request_id=str(uuid.uuid4()), mentor_id="m-1", mentor_user_id=MENTOR.id,
                               mentee_id=ALICE.id, agency_code="HDF-LILLE", ended_by=by, early=early, ended_at=NOW)
    [told] = notify(uow, ended(True, ALICE.id))
    assert told.user_id == uuid.UUID(MENTOR.id) and shown(uow, told).startswith("Alice a mis fin")
    both = notify(uow, ended(False, None))
    assert {str(n.user_id) for n in both} == {ALICE.id, MENTOR.id}


def test_a_renamed_member_is_named_by_the_new_name(uow):
    uow.members.rename(ProfileUpdated(user_id=BOB.id, display_name="Robert", topics=[], updated_at=NOW))
    [made] = notify(uow, comment())
    assert shown(uow, made).startswith("Robert a répondu")


# ---------------------------------------------------------------- the inbox


def test_the_inbox_is_newest_first_with_a_cursor_and_an_unread_count(uow):
    for _ in range(5):
        notify(uow, comment())
    first = handlers.list_notifications(uow, ALICE, {"limit": 2})
    second = handlers.list_notifications(uow, ALICE, {"limit": 2, "cursor": first["next_cursor"]})
    third = handlers.list_notifications(uow, ALICE, {"limit": 2, "cursor": second["next_cursor"]})
    seqs = [n.seq for n in sorted(uow.notifications.rows, key=lambda n: -n.seq)]
    listed = [i["id"] for page in (first, second, third) for i in page["items"]]
    assert listed == [str(next(n.id for n in uow.notifications.rows if n.seq == s)) for s in seqs]
    assert third["next_cursor"] is None and first["unread_count"] == 5
    assert set(first["items"][0]) == {"id", "type", "title", "body", "link", "created_at", "read"}


def test_only_the_owner_marks_a_notification_read(uow):
    [made] = notify(uow, comment())
    with pytest.raises(NotFound):
        handlers.mark_read(uow, BOB, str(made.id), NOW)
    with pytest.raises(NotFound):
        handlers.mark_read(uow, ALICE, "not-an-id", NOW)
    handlers.mark_read(uow, ALICE, str(made.id), NOW)
    page = handlers.list_notifications(uow, ALICE, {})
    assert page["items"][0]["read"] is True and page["unread_count"] == 0
    assert handlers.list_notifications(uow, ALICE, {"unread": True})["items"] == []


def test_read_all_marks_only_the_callers(uow):
    notify(uow, comment())
    notify(uow, comment(author=ALICE, post_author=BOB))
    handlers.mark_all_read(uow, ALICE, NOW)
    assert handlers.list_notifications(uow, ALICE, {})["unread_count"] == 0
    assert handlers.list_notifications(uow, BOB, {})["unread_count"] == 1


def test_a_bad_cursor_or_limit_is_a_validation_error(uow):
    with pytest.raises(ValidationFailed) as bad_cursor:
        handlers.list_notifications(uow, ALICE, {"cursor": "%%%"})
    assert bad_cursor.value.errors[0]["loc"] == ["query", "cursor"]
    with pytest.raises(ValidationFailed):
        handlers.list_notifications(uow, ALICE, {"limit": 101})


def test_an_anonymous_caller_gets_nothing(uow):
    with pytest.raises(Unauthorized):
        handlers.list_notifications(uow, Caller.anonymous(), {})


def test_list_since_returns_the_callers_later_ones_oldest_first(uow):
    made = [notify(uow, comment())[0] for _ in range(3)]
    since = handlers.list_since(uow, ALICE, str(made[0].id))
    assert [i["id"] for i in since] == [str(made[1].id), str(made[2].id)]
    assert handlers.list_since(uow, BOB, str(made[0].id)) == []  # someone else's id tells nothing
    assert handlers.list_since(uow, ALICE, "garbage") == []


# ---------------------------------------------------------------- preferences


def test_default_preferences(uow):
    prefs = handlers.get_preferences(uow, ALICE)
    assert prefs["digest"] == "weekly"
    assert all(c["in_app"] for c in prefs["channels"].values())
    emailed = {t for t, c in prefs["channels"].items() if c["email"]}
    assert emailed == {"moderation_decision", "sanction", "event_registration_confirmed", "event_waitlist_promoted",
                       "event_cancelled", "event_reminder", "mentoring_request", "mentoring_answer",
                       "mentorship_ended"}


def test_preferences_are_replaced_and_omitted_types_take_their_default(uow):
    saved = handlers.update_preferences(
        uow, ALICE, {"channels": {"comment_on_post": {"in_app": True, "email": True}}, "digest": "daily"}, NOW)
    assert saved["channels"]["comment_on_post"] == {"in_app": True, "email": True}
    assert saved["channels"]["sanction"] == {"in_app": True, "email": True} and saved["digest"] == "daily"
    assert handlers.get_preferences(uow, ALICE) == saved


@pytest.mark.parametrize("data, loc", [
    ({"channels": {"reaction": {"in_app": True, "email": True}}, "digest": "weekly"},
     ["body", "channels", "reaction", "email"]),
    ({"channels": {"gossip": {"in_app": True, "email": False}}, "digest": "weekly"}, ["body", "channels", "gossip"]),
    ({"channels": {}, "digest": "hourly"}, ["body", "digest"]),
    ({"channels": {}, "digest": "weekly", "sms": True}, ["body", "sms"]),
])
def test_invalid_preferences_are_refused(uow, data, loc):
    with pytest.raises(ValidationFailed) as refused:
        handlers.update_preferences(uow, ALICE, data, NOW)
    assert refused.value.errors[0]["loc"] == loc
    assert uow.preferences.get(uuid.UUID(ALICE.id)) is None


# ---------------------------------------------------------------- e-mails


def queued_email(uow):
    notify(uow, case_decided())
    [email] = uow.emails.rows
    return email


def test_an_email_is_sent_with_text_and_html_and_marked_sent(uow):
    email, transport = queued_email(uow), FakeSmtpTransport()
    assert handlers.send_next_email(uow, transport, NOW, CONFIG) == "sent"
    [message] = transport.sent
    assert message["Message-ID"] == email.message_id and message["To"] == "alice@exemple.fr"
    assert message.get_body(("plain",)).get_content().startswith("Bonjour Alice,")
    assert "<strong>" in message.get_body(("html",)).get_content()
    assert email.status == "sent" and email.sent_at == NOW
    assert handlers.send_next_email(uow, transport, NOW, CONFIG) is None  # never twice
    assert len(transport.sent) == 1


def test_a_failing_server_is_retried_with_exponential_backoff(uow):
    email = queued_email(uow)
    transport = FakeSmtpTransport([DeliveryFailed("451 try later"), DeliveryFailed("451 try later")])
    assert handlers.send_next_email(uow, transport, NOW, CONFIG) == "retry"
    assert email.next_attempt_at == NOW + timedelta(seconds=10)
    assert handlers.send_next_email(uow, transport, NOW, CONFIG) is None  # not due yet
    later = NOW + timedelta(seconds=10)
    assert handlers.send_next_email(uow, transport, later, CONFIG) == "retry"
    assert email.next_attempt_at == later + timedelta(seconds=20)
    assert handlers.send_next_email(uow, transport, later + timedelta(seconds=20), CONFIG) == "sent"
    assert email.attempts == 3 and len(transport.sent) == 1


def test_an_email_is_given_up_after_the_limit_with_its_error(uow):
    email = queued_email(uow)
    transport = FakeSmtpTransport([DeliveryFailed("451 busy")] * 3)
    moment, outcomes = NOW, []
    for _ in range(3):
        outcomes.append(handlers.send_next_email(uow, transport, moment, CONFIG))
        moment += timedelta(minutes=5)
    assert outcomes == ["retry", "retry", "failed"]
    assert email.status == "failed" and email.last_error == "451 busy"
    assert handlers.send_next_email(uow, transport, moment + timedelta(hours=1), CONFIG) is None


def test_a_permanent_refusal_is_not_retried(uow):
    email = queued_email(uow)
    outcome = handlers.send_next_email(uow, FakeSmtpTransport([DeliveryFailed("550 no such user", True)]), NOW,
                                       CONFIG)
    assert outcome == "failed" and email.attempts == 1


def test_a_temporary_failure_is_retried_for_72_hours_then_given_up(uow):
    """Issue 15: no cap on attempts by default; the window decides."""
    config = CONFIG.model_copy(update={"email_max_attempts": None})
    assert config.email_retry_hours == 72
    email = queued_email(uow)
    email.created_at = NOW
    transport = FakeSmtpTransport([DeliveryFailed("451 greylisted")] * 30)
    moment = NOW
    for _ in range(20):  # far more than the old limit of 8, all inside the 72 hours
        assert handlers.send_next_email(uow, transport, moment, config) == "retry"
        moment = email.next_attempt_at
    assert moment < NOW + timedelta(hours=72) and email.status == "pending"
    assert handlers.send_next_email(uow, transport, NOW + timedelta(hours=72), config) == "failed"
    assert email.status == "failed" and email.last_error == "451 greylisted"


def test_failed_emails_are_listed_and_resent_with_a_new_window(uow):
    email = queued_email(uow)
    handlers.send_next_email(uow, FakeSmtpTransport([DeliveryFailed("550 refused", True)]), NOW, CONFIG)
    assert [e["id"] for e in handlers.failed_emails(uow)] == [str(email.id)]
    later = NOW + timedelta(days=4)
    assert handlers.resend_failed_emails(uow, None, later) == 1
    assert (email.status, email.attempts, email.next_attempt_at, email.created_at) == ("pending", 0, later, later)
    transport = FakeSmtpTransport()
    assert handlers.send_next_email(uow, transport, later, CONFIG) == "sent" and len(transport.sent) == 1
    assert handlers.failed_emails(uow) == []


# ---------------------------------------------------------------- digests


def test_a_digest_sums_up_what_is_unread_once_per_period(uow):
    for _ in range(3):
        notify(uow, comment(), now=NOW - timedelta(hours=2))
    read = notify(uow, comment(), now=NOW - timedelta(hours=1))[0]
    handlers.mark_read(uow, ALICE, str(read.id), NOW)

    assert handlers.make_digest(uow, ALICE.id, "weekly", "weekly:5", NOW, CONFIG) is True
    assert handlers.make_digest(uow, ALICE.id, "weekly", "weekly:5", NOW, CONFIG) is False
    [digest] = [e for e in uow.emails.rows if e.kind == "digest"]
    assert digest.subject == "Votre résumé de la semaine : 3 notifications non lues"
    assert digest.text_body.count("Nouvelle réponse à votre question") == 3
    assert digest.message_id == f"<digest.weekly.5.{ALICE.id}@pilote.example.fr>"


def test_no_digest_when_nothing_is_unread_and_the_next_covers_only_what_came_since(uow):
    assert handlers.make_digest(uow, BOB.id, "daily", "daily:1", NOW, CONFIG) is False
    notify(uow, comment(author=ALICE, post_author=BOB), now=NOW + timedelta(hours=1))
    assert handlers.make_digest(uow, BOB.id, "daily", "daily:2", NOW + timedelta(days=1), CONFIG) is True
    assert handlers.make_digest(uow, BOB.id, "daily", "daily:3", NOW + timedelta(days=2), CONFIG) is False
    assert [e.kind for e in uow.emails.rows] == ["digest"]


# ---------------------------------------------------------------- GDPR


def test_export_returns_what_the_service_holds_about_the_caller(uow):
    notify(uow, case_decided())
    handlers.update_preferences(uow, ALICE, {"channels": {}, "digest": "daily"}, NOW)
    data = handlers.export_user_data(uow, ALICE)
    assert data["contact"]["email"] == "alice@exemple.fr"
    assert data["preferences"]["digest"] == "daily"
    assert len(data["notifications"]) == 1 and data["emails"][0]["to"] == "alice@exemple.fr"
    assert handlers.export_user_data(uow, BOB)["notifications"] == []


def test_erasure_removes_notifications_preferences_emails_and_the_address(uow):
    notify(uow, case_decided())
    handlers.update_preferences(uow, ALICE, {"channels": {}, "digest": "daily"}, NOW)
    handlers.erase_member(uow, UserErased(user_id=ALICE.id, erased_at=NOW))

    assert uow.notifications.all_of(uuid.UUID(ALICE.id)) == [] and uow.emails.rows == []
    assert uow.preferences.get(uuid.UUID(ALICE.id)) is None
    member = uow.members.get(uuid.UUID(ALICE.id))
    assert member.email is None and member.display_name is None
    assert notify(uow, case_decided()) == []  # nothing is made for them any more
    uow.members.remember(registered(ALICE, "Alice"))  # a late registration does not bring them back
    assert uow.members.get(uuid.UUID(ALICE.id)).email is None


def test_others_notifications_name_an_erased_member_as_deleted_and_a_namesake_keeps_their_name(uow):
    """Texts keep the actor's id: erasure rewrites nothing by substring, so a
    member called "le" mangles nothing and a namesake keeps their name."""
    namesake = Caller(str(uuid.uuid4()), "job_seeker", "HDF-LILLE")
    short = Caller(str(uuid.uuid4()), "job_seeker", "HDF-LILLE")
    uow.members.remember(registered(namesake, "Bob"))
    uow.members.remember(registered(short, "le"))
    [by_bob] = notify(uow, comment(author=BOB))
    [by_namesake] = notify(uow, comment(author=namesake))
    [by_short] = notify(uow, reaction(user=short))
    handlers.erase_member(uow, UserErased(user_id=BOB.id, erased_at=NOW))
    handlers.erase_member(uow, UserErased(user_id=short.id, erased_at=NOW))

    assert shown(uow, by_bob).startswith("Membre supprimé a répondu à votre question « Devenir cariste »")
    assert shown(uow, by_namesake).startswith("Bob a répondu à votre question « Devenir cariste »")
    assert shown(uow, by_short) == "Membre supprimé vous remercie pour votre publication."
    bodies = [i["body"] for i in handlers.list_notifications(uow, ALICE, {})["items"]]
    assert [b.split(" a répondu")[0] for b in bodies if "répondu" in b] == ["Bob", "Membre supprimé"]
    assert "Bob" not in by_bob.body and BOB.id in by_bob.body  # the stored text holds the id, not the name


def test_an_email_names_the_actor_when_sent_escaped_in_html_and_erased_if_erased_by_then(uow):
    """The queued e-mail holds the actor's id; the name goes in when it is sent."""
    tricky = Caller(str(uuid.uuid4()), "job_seeker", "HDF-LILLE")
    uow.members.remember(registered(tricky, "Léa <b>&"))
    for mentee in (tricky, ALICE):
        notify(uow, MentoringRequested(request_id=str(uuid.uuid4()), mentor_id="m-1", mentor_user_id=MENTOR.id,
                                       mentee_id=mentee.id, agency_code="HDF-LILLE", created_at=NOW))
    assert all("Léa" not in e.text_body and "Alice" not in e.text_body for e in uow.emails.rows)
    handlers.erase_member(uow, UserErased(user_id=ALICE.id, erased_at=NOW))
    transport = FakeSmtpTransport()
    while handlers.send_next_email(uow, transport, NOW, CONFIG):
        pass
    texts = [m.get_body(("plain",)).get_content() for m in transport.sent]
    htmls = [m.get_body(("html",)).get_content() for m in transport.sent]
    assert any("Léa <b>& aimerait" in t for t in texts) and any("Léa &lt;b&gt;&amp; aimerait" in h for h in htmls)
    assert any("Membre supprimé aimerait" in t for t in texts) and not any("Alice" in t for t in texts)
    assert not any("\x1e" in t or "\x1f" in t for t in texts + htmls)
