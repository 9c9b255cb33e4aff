"""moderation: screening a new post opens a case and records the decision."""
import re
import uuid
from datetime import datetime, timezone

import pytest

from services.moderation import handlers
from services.moderation.models import Case
from shared.contracts.moderation import ContentScreened
from shared.contracts.posts import PostCreated

NOW = datetime(2025, 3, 4, 9, 30, tzinfo=timezone.utc)


def created(title="Devenir cariste", body="Par où commencer ?", agency="HDF-LILLE") -> PostCreated:
    return PostCreated(post_id=str(uuid.uuid4()), author_id=str(uuid.uuid4()), agency_code=agency, kind="question",
                       title=title, body=body, topics=[], created_at=NOW)


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def test_clean_post_is_published_without_a_case(moderation_uow):
    event = created()

    result = handlers.screen_post(moderation_uow, event, NOW)

    assert result.decision == "publish"
    assert moderation_uow.cases.rows == []
    assert moderation_uow.events == [
        ContentScreened(target_type="post", target_id=event.post_id, decision="publish", reasons=[], screened_at=NOW)
    ]


def test_post_with_a_phone_opens_one_case_and_records_hold(moderation_uow):
    event = created(body="Appelez-moi au 06 12 34 56 78 pour en parler")

    handlers.screen_post(moderation_uow, event, NOW)

    [case] = moderation_uow.cases.rows
    assert (case.target_type, case.target_id) == ("post", uuid.UUID(event.post_id))
    assert case.author_id == uuid.UUID(event.author_id)
    assert case.agency_code == "HDF-LILLE"
    assert case.reasons == ["personal_data.phone"]
    assert (case.source, case.status, case.created_at) == ("screening", "open", NOW)
    assert moderation_uow.events == [
        ContentScreened(target_type="post", target_id=event.post_id, decision="hold",
                        reasons=["personal_data.phone"], screened_at=NOW)
    ]


@pytest.mark.parametrize(
    "phone",
    ["06 12 34 56 78", "06.12.34.56.78", "0612345678", "+33 6 12 34 56 78", "+33 (0)6 12 34 56 78",
     "0033 6 12 34 56 78", "06-12-34-56-78"],
)
def test_case_excerpt_never_keeps_the_phone_number(moderation_uow, phone):
    handlers.screen_post(moderation_uow, created(body=f"Mon numéro : {phone}, merci"), NOW)

    [case] = moderation_uow.cases.rows
    assert "612345678" not in digits(case.excerpt)
    assert "[masqué]" in case.excerpt
    assert case.excerpt.startswith("Devenir cariste — Mon numéro : ")


def test_case_excerpt_never_keeps_the_email_address(moderation_uow):
    handlers.screen_post(moderation_uow, created(body="écrivez à camille.martin@exemple.fr svp"), NOW)
    [case] = moderation_uow.cases.rows
    assert "camille" not in case.excerpt and "exemple.fr" not in case.excerpt


def test_personal_data_in_the_title_is_masked_too(moderation_uow):
    handlers.screen_post(moderation_uow, created(title="Urgent 06 12 34 56 78", body="Rappelez-moi"), NOW)
    [case] = moderation_uow.cases.rows
    assert "612345678" not in digits(case.excerpt)


def test_case_excerpt_is_short_even_for_a_long_post(moderation_uow):
    handlers.screen_post(moderation_uow, created(body="06 12 34 56 78 " + "bla " * 500), NOW)
    [case] = moderation_uow.cases.rows
    assert len(case.excerpt) <= 280


def test_excerpt_masks_before_truncating():
    # A phone number straddling the cut must not leave its first digits behind.
    text = "x" * 270 + " 06 12 34 56 78"
    assert "0612" not in digits(handlers.excerpt(text))


def test_second_screening_of_same_post_opens_no_second_case(moderation_uow):
    event = created(body="06 12 34 56 78")
    handlers.screen_post(moderation_uow, event, NOW)
    handlers.screen_post(moderation_uow, event, NOW)
    assert moderation_uow.cases.count_open() == 1


def test_a_closed_case_does_not_prevent_a_new_one(moderation_uow):
    event = created(body="06 12 34 56 78")
    moderation_uow.cases.add(Case(id=uuid.uuid4(), target_type="post", target_id=uuid.UUID(event.post_id),
                                  author_id=uuid.UUID(event.author_id), agency_code="HDF-LILLE", reasons=[],
                                  source="screening", status="closed", excerpt="", created_at=NOW))
    handlers.screen_post(moderation_uow, event, NOW)
    assert moderation_uow.cases.count_open() == 1


def test_content_screened_never_carries_the_matched_text(moderation_uow):
    handlers.screen_post(moderation_uow, created(body="06 12 34 56 78 camille@exemple.fr"), NOW)
    wire = moderation_uow.events[0].model_dump_json()
    assert "06 12 34 56 78" not in wire and "camille" not in wire
