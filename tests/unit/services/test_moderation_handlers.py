"""moderation: screening a new post or comment opens a case and records the decision."""
import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.moderation import domain, handlers
from services.moderation.models import Case
from services.moderation.screening import default_screener
from shared.contracts.moderation import CaseOpened, ContentScreened
from shared.contracts.posts import CommentCreated, PostCreated, PostUpdated

NOW = datetime(2025, 3, 4, 9, 30, tzinfo=timezone.utc)


def created(title="Devenir cariste", body="Par où commencer ?", agency="HDF-LILLE", author=None, at=NOW) -> PostCreated:
    return PostCreated(post_id=str(uuid.uuid4()), author_id=author or str(uuid.uuid4()), agency_code=agency,
                       kind="question", title=title, body=body, topics=[], created_at=at)


def screen(uow, event, now=NOW):
    if isinstance(event, CommentCreated):
        return handlers.screen_comment(uow, event, now, default_screener())
    return handlers.screen_post(uow, event, now, default_screener())


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def test_clean_post_is_published_without_a_case(moderation_uow):
    event = created()

    result = screen(moderation_uow, event)

    assert result.decision == "publish"
    assert moderation_uow.cases.rows == []
    assert moderation_uow.events == [
        ContentScreened(target_type="post", target_id=event.post_id, decision="publish", reasons=[], screened_at=NOW)
    ]


def test_post_with_a_phone_opens_one_case_and_records_hold(moderation_uow):
    event = created(body="Appelez-moi au 06 12 34 56 78 pour en parler")

    screen(moderation_uow, event)

    [case] = moderation_uow.cases.rows
    assert (case.target_type, case.target_id) == ("post", uuid.UUID(event.post_id))
    assert case.author_id == uuid.UUID(event.author_id)
    assert case.agency_code == "HDF-LILLE"
    assert case.reasons == ["personal_data.phone"]
    assert (case.source, case.status, case.created_at) == ("screening", "open", NOW)
    assert moderation_uow.events == [
        CaseOpened(case_id=str(case.id), target_type="post", target_id=event.post_id, agency_code="HDF-LILLE",
                   source="screening", reasons=["personal_data.phone"], opened_at=NOW),
        ContentScreened(target_type="post", target_id=event.post_id, decision="hold",
                        reasons=["personal_data.phone"], screened_at=NOW, case_id=str(case.id)),
    ]


@pytest.mark.parametrize(
    "phone",
    ["06 12 34 56 78", "06.12.34.56.78", "0612345678", "+33 6 12 34 56 78", "+33 (0)6 12 34 56 78",
     "0033 6 12 34 56 78", "06-12-34-56-78"],
)
def test_case_excerpt_never_keeps_the_phone_number(moderation_uow, phone):
    screen(moderation_uow, created(body=f"Mon numéro : {phone}, merci"))

    [case] = moderation_uow.cases.rows
    assert "612345678" not in digits(case.excerpt)
    assert "[masqué]" in case.excerpt
    assert case.excerpt.startswith("Devenir cariste — Mon numéro : ")


@pytest.mark.parametrize(
    "secret, body",
    [
        ("camille", "écrivez à camille.martin@exemple.fr svp"),
        ("168", "ma sécu : 1 55 08 14 168 025 88"),
        ("3000", "mon IBAN FR76 3000 6000 0112 3456 7890 189"),
    ],
)
def test_case_excerpt_never_keeps_the_personal_data(moderation_uow, secret, body):
    screen(moderation_uow, created(body=body))
    [case] = moderation_uow.cases.rows
    assert secret not in case.excerpt and "[masqué]" in case.excerpt


def test_personal_data_in_the_title_is_masked_too(moderation_uow):
    screen(moderation_uow, created(title="Urgent 06 12 34 56 78", body="Rappelez-moi"))
    [case] = moderation_uow.cases.rows
    assert "612345678" not in digits(case.excerpt)


def test_case_excerpt_is_short_even_for_a_long_post(moderation_uow):
    screen(moderation_uow, created(body="06 12 34 56 78 " + "bla " * 500))
    [case] = moderation_uow.cases.rows
    assert len(case.excerpt) <= 280


def test_excerpt_masks_before_truncating():
    # A phone number straddling the cut must not leave its first digits behind.
    text = "x" * 270 + " 06 12 34 56 78"
    assert "0612" not in digits(domain.excerpt(text))


def test_second_screening_of_same_post_opens_no_second_case(moderation_uow):
    event = created(body="06 12 34 56 78")
    screen(moderation_uow, event)
    screen(moderation_uow, event)
    assert moderation_uow.cases.count_open() == 1


def test_a_closed_case_does_not_prevent_a_new_one(moderation_uow):
    event = created(body="06 12 34 56 78")
    moderation_uow.cases.add(Case(id=uuid.uuid4(), target_type="post", target_id=uuid.UUID(event.post_id),
                                  author_id=uuid.UUID(event.author_id), agency_code="HDF-LILLE", reasons=[],
                                  source="screening", status="closed", excerpt="", created_at=NOW))
    screen(moderation_uow, event)
    assert moderation_uow.cases.count_open() == 1


def test_content_screened_never_carries_the_matched_text(moderation_uow):
    screen(moderation_uow, created(body="06 12 34 56 78 camille@exemple.fr"))
    wire = "".join(e.model_dump_json() for e in moderation_uow.events)
    assert "06 12 34 56 78" not in wire and "camille" not in wire


def test_an_edit_that_removes_the_phone_closes_the_screening_case(moderation_uow):
    event = created(body="06 12 34 56 78")
    screen(moderation_uow, event)
    edit = PostUpdated(post_id=event.post_id, author_id=event.author_id, agency_code="HDF-LILLE", kind="question",
                       title=event.title, body="Contactez-moi par message privé", topics=[],
                       updated_at=NOW + timedelta(minutes=1))
    result = screen(moderation_uow, edit)
    assert result.decision == "publish"
    assert moderation_uow.cases.count_open() == 0 and moderation_uow.cases.rows[0].status == "closed"


def test_a_comment_is_screened_like_a_post(moderation_uow):
    comment = CommentCreated(comment_id=str(uuid.uuid4()), post_id=str(uuid.uuid4()), post_author_id=str(uuid.uuid4()),
                             post_kind="question", author_id=str(uuid.uuid4()), agency_code="IDF-MONTREUIL",
                             body="Quel connnnard ce recruteur", created_at=NOW)
    result = screen(moderation_uow, comment)
    assert (result.target_type, result.decision, result.reasons) == ("comment", "hold", ["abuse.word_list"])
    [case] = moderation_uow.cases.rows
    assert (case.target_type, case.agency_code) == ("comment", "IDF-MONTREUIL")


def test_the_same_text_again_is_rejected_with_an_appealable_case(moderation_uow):
    author = str(uuid.uuid4())
    text = "Je vends des formations CACES à prix cassé, contactez-moi vite"
    screen(moderation_uow, created(body=text, author=author))
    second = created(body=text, author=author, at=NOW + timedelta(minutes=2))
    result = screen(moderation_uow, second)
    assert (result.decision, result.reasons) == ("reject", ["spam.duplicate"])
    [case] = [c for c in moderation_uow.cases.rows if str(c.target_id) == second.post_id]
    assert (case.status, case.action, case.decided_by) == ("decided", "reject", None)
    assert result.case_id == str(case.id)
    [entry] = moderation_uow.audit.rows
    assert (entry.action, entry.actor_role, entry.actor_id) == ("case_decided", "system", None)


def test_a_posting_flood_is_held(moderation_uow):
    author = str(uuid.uuid4())
    results = [screen(moderation_uow, created(title=f"Question {i}", body=f"Texte numéro {i}", author=author,
                                              at=NOW + timedelta(minutes=i))) for i in range(6)]
    assert [r.decision for r in results] == ["publish"] * 5 + ["hold"]
    assert results[-1].reasons == ["spam.flood"]
