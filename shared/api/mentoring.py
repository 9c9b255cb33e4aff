"""mentoring's API: companies offer mentoring, job seekers ask, mentors answer."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.api.base import Page, RequestModel, ResponseModel
from shared.api.text import Id, Slug, Text

Status = Literal["pending", "declined", "cancelled", "active", "completed", "ended"]
Side = Literal["mentee", "mentor"]
Message = Text(1, 4000)


class MentorIn(RequestModel):
    topics: list[Slug] = Field(min_length=1, max_length=10)
    bio: Message
    capacity: int = Field(ge=1, le=50)


class RequestIn(RequestModel):
    mentor_id: Id
    message: Message


class EndIn(RequestModel):
    reason: Text(max_length=1000) | None = None


class MentorFilters(Page):
    topic: Slug | None = None


class RequestFilters(Page):
    role: Side | None = None
    status: Status | None = None


class Mentor(ResponseModel):
    id: str
    user_id: str | None
    display_name: str | None
    topics: list[str]
    bio: str
    capacity: int
    active_mentorships: int
    seats_left: int
    status: Literal["active", "withdrawn"]
    created_at: str


class MentorPage(ResponseModel):
    items: list[Mentor]
    next_cursor: str | None


class Party(ResponseModel):
    id: str | None
    display_name: str | None


class MentorParty(Party):
    user_id: str | None


class MentoringRequest(ResponseModel):
    id: str
    status: Status
    mentor: MentorParty
    mentee: Party
    agency_code: str | None = Field(description="L'agence du mentoré")
    message: str
    created_at: str
    decided_at: str | None = Field(description="Acceptée ou refusée à")
    accepted_at: str | None
    ends_at: str | None = Field(None, description="Fin prévue d'un mentorat accepté")
    ended_at: str | None
    ended_by: str | None = Field(description="Qui a mis fin au mentorat, avant son terme")
    end_reason: str | None
    my_role: Side
    message_moderation: Literal["pending", "held", "refused"] | None = Field(
        None,
        description="Où en est le message pour la modération : `pending` (en cours d'analyse), `held` (en attente "
        "d'un modérateur), `refused` (refusé : la demande est annulée) ; absent ou null une fois le message "
        "transmis. Le mentor ne voit la demande qu'une fois le message transmis.",
    )


class MentoringRequestPage(ResponseModel):
    items: list[MentoringRequest]
    next_cursor: str | None
