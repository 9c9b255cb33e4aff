"""notifications rules and texts, free of I/O."""
from datetime import datetime, timedelta, timezone
from typing import get_args

from services.notifications import domain
from services.notifications.emails import render_digest, DigestItem
from services.notifications.messages import french_datetime, quoted
from shared.api.notifications import NotificationType

ANCHOR = datetime(2024, 1, 1, 6, 0, tzinfo=timezone.utc)


def test_stored_choices_overlay_defaults_and_reactions_never_email():
    channels = domain.effective_channels({"reaction": {"in_app": False, "email": True}, "retired_type": {}})
    assert channels["reaction"] == {"in_app": False, "email": False}
    assert "retired_type" not in channels and channels["sanction"] == {"in_app": True, "email": True}


def test_the_api_names_every_notification_type_the_service_makes():
    assert set(get_args(NotificationType)) == set(domain.TYPES)


def test_digest_periods_change_at_the_period_boundary_only():
    monday = ANCHOR + timedelta(weeks=10)
    assert domain.digest_period("weekly", monday, ANCHOR, 86400, 604800) == "weekly:10"
    assert domain.digest_period("weekly", monday + timedelta(days=6, hours=23), ANCHOR, 86400, 604800) == "weekly:10"
    assert domain.digest_period("weekly", monday + timedelta(days=7), ANCHOR, 86400, 604800) == "weekly:11"
    assert domain.digest_period("daily", monday + timedelta(hours=25), ANCHOR, 86400, 604800) == "daily:71"


def test_retry_delay_doubles_up_to_a_ceiling():
    assert [domain.retry_delay(n, 30, 200) for n in (1, 2, 3, 4)] == [30, 60, 120, 200]


def test_french_dates_are_in_paris_time():
    assert french_datetime(datetime(2026, 7, 1, 8, 5, tzinfo=timezone.utc)) == "mercredi 1er juillet à 10 h 05"


def test_long_titles_are_shortened():
    assert quoted("x" * 300).endswith("… »") and len(quoted("x" * 300)) < 130


def test_a_digest_beyond_its_limit_counts_the_rest():
    items = [DigestItem("Titre", "Texte", "/v1/posts/1")] * 2
    rendered = render_digest("Léa", items, 5, "daily", "https://pilote.example.fr")
    assert rendered.subject == "Votre résumé de la journée : 5 notifications non lues"
    assert "… et 3 autres" in rendered.text and "https://pilote.example.fr/v1/posts/1" in rendered.html


def test_a_member_is_told_when_their_profile_text_is_refused_or_approved_in_french():
    import uuid

    from services.notifications import messages
    from shared.contracts.moderation import TextDecided, TextScreened

    at = datetime(2026, 3, 4, 9, 30, tzinfo=timezone.utc)
    user = str(uuid.uuid4())

    def decided(verdict):
        return TextDecided(case_id=str(uuid.uuid4()), target_type="profile", target_id=user, author_id=user,
                           agency_code="HDF-LILLE", text_version=2, verdict=verdict, reason="Numéro de téléphone",
                           decided_by=str(uuid.uuid4()), opened_at=at, decided_at=at)

    [refused] = messages.text_decided(decided("refused"), people=None)
    assert refused.recipient_id == user and refused.type == "moderation_decision" and refused.link == "/v1/me"
    assert refused.title == "Votre profil n'a pas été modifié" and "Motif : Numéro de téléphone" in refused.body
    [approved] = messages.text_decided(decided("published"), people=None)
    assert approved.title == "Votre profil est à jour"

    def screened(verdict):
        return TextScreened(target_type="profile", target_id=user, author_id=user, agency_code=None, text_version=2, verdict=verdict,
                            reasons=[], case_id=None, screened_at=at)

    assert messages.text_screened(screened("clean"), None) == [] and messages.text_screened(screened("held"), None) == []
    [auto] = messages.text_screened(screened("refused"), None)
    assert auto.recipient_id == user and "règles de la communauté" in auto.body


def test_a_mentee_is_told_when_the_message_is_refused_and_the_request_cancelled():
    import uuid

    from services.notifications import messages
    from shared.contracts.moderation import TextDecided

    at = datetime(2026, 3, 4, 9, 30, tzinfo=timezone.utc)
    mentee = str(uuid.uuid4())
    event = TextDecided(case_id=str(uuid.uuid4()), target_type="mentoring_request", target_id=str(uuid.uuid4()),
                        author_id=mentee, agency_code="HDF-LILLE", text_version=1, verdict="refused", reason="",
                        decided_by=str(uuid.uuid4()), opened_at=at, decided_at=at)
    [draft] = messages.text_decided(event, None)
    assert draft.recipient_id == mentee and draft.link == "/v1/mentoring/requests"
    assert draft.title == "Votre demande de mentorat n'a pas été transmise" and "annulée" in draft.body
