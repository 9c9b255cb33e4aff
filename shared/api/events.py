"""events' API: job fairs, workshops, information sessions, webinars; registrations,
waitlists, attendance and cancellations."""
from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from shared.api.base import Page, RequestModel, ResponseModel
from shared.api.text import Id, Prose, Slug, Text

Kind = Literal["job_fair", "workshop", "info_session", "webinar"]
# Who organises events (API.md): advisors for their agency, companies, admins.
ORGANIZER_ROLES = ("advisor", "company", "admin")
AgencyCode = Text(1, 40)


class EventIn(RequestModel):
    title: Text(3, 200)
    description: Prose(10000)
    kind: Kind
    # JSON Schema cannot compare with the present: the rule is said in words.
    starts_at: AwareDatetime = Field(description="Dans le futur, avec un fuseau horaire (RFC 3339) : un début "
                                     "déjà passé au moment de la requête est refusé (422 sur `starts_at`)")
    ends_at: AwareDatetime = Field(description="Après `starts_at` (sinon 422 sur `ends_at`)")
    location: Text(1, 300) | None = Field(None, description="Un lieu, un lien en ligne, ou les deux")
    online_url: Text(max_length=500, pattern=r"^https://[^\s/]+\S*$") | None = None
    capacity: int = Field(ge=1, le=100000)
    agency_code: AgencyCode | None = None
    topics: list[Slug] = Field(default_factory=list, max_length=10)


class CancelIn(RequestModel):
    reason: Text(3, 1000)


class AttendanceIn(RequestModel):
    user_id: Id
    attended: bool


class EventFilters(Page):
    from_: AwareDatetime | None = Field(None, alias="from", description="Début au plus tôt")
    to: AwareDatetime | None = Field(None, description="Début au plus tard")
    agency: AgencyCode | None = None
    topic: Slug | None = None
    kind: Kind | None = None


class Organizer(ResponseModel):
    id: str | None
    display_name: str | None


class Registration(ResponseModel):
    id: str
    event_id: str
    user_id: str
    status: Literal["confirmed", "waitlisted"]
    position: int | None = Field(None, description="Rang sur la liste d'attente (inscriptions en attente)")
    registered_at: str
    confirmed_at: str | None
    promoted_from_waitlist: bool
    attended: bool | None


class Event(ResponseModel):
    id: str
    title: str
    description: str
    kind: Kind
    starts_at: str
    ends_at: str
    location: str | None
    online_url: str | None
    capacity: int
    agency_code: str | None
    topics: list[str]
    organizer: Organizer
    status: Literal["scheduled", "cancelled"]
    registered_count: int
    waitlist_count: int
    seats_left: int
    created_at: str
    cancel_reason: str | None = Field(None, description="Un événement annulé")
    cancelled_at: str | None = Field(None, description="Un événement annulé")
    text_moderation: Literal["pending", "held", "refused"] | None = Field(
        None,
        description="Pour son organisateur : où en sont le titre, la description et le lieu pour la modération : "
        "`pending` (en cours d'analyse), `held` (en attente d'un modérateur), `refused` (refusés : l'événement "
        "n'est pas publié) ; absent ou null une fois l'événement visible des membres.",
    )


class EventDetail(Event):
    my_registration: Registration | None


class EventPage(ResponseModel):
    items: list[Event]
    next_cursor: str | None


class Attendee(Registration):
    display_name: str | None


class AttendeePage(ResponseModel):
    items: list[Attendee]
    next_cursor: str | None


class MyRegistration(Registration):
    event: Event


class MyRegistrationPage(ResponseModel):
    items: list[MyRegistration]
    next_cursor: str | None
