"""analytics' API: the pilot's figures per agency, region or for the whole pilot."""
from __future__ import annotations

from datetime import date

from pydantic import ConfigDict, Field

from shared.api.base import QueryModel, ResponseModel
from shared.api.text import Text


class KpiQuery(QueryModel):
    """The scope and period of the figures; any other parameter is refused (422)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    agency: Text(1, 40) | None = Field(None, description="code d'agence")
    region: Text(1, 100) | None = Field(None, description="région, par exemple « Occitanie »")
    from_: date | None = Field(
        None, alias="from", description="premier jour (AAAA-MM-JJ, UTC) ; par défaut 29 jours avant `to`"
    )
    to: date | None = Field(None, description="dernier jour inclus (AAAA-MM-JJ, UTC) ; par défaut aujourd'hui")


class Moderation(ResponseModel):
    cases_opened: int
    median_minutes_to_decision: float | None
    auto_held_ratio: float | None
    appeals_overturned_ratio: float | None


class Figures(ResponseModel):
    active_users: int
    new_members: int
    posts: int
    questions: int
    answered_question_ratio: float | None
    answered_within_24h_ratio: float | None
    median_minutes_to_first_answer: float | None
    p90_minutes_to_first_answer: float | None
    peer_answer_ratio: float | None
    members_with_interaction_ratio: float | None
    distinct_peers_per_member: float | None
    retention_30d_ratio: float | None
    event_registrations: int
    event_fill_rate: float | None
    event_no_show_rate: float | None
    mentoring_matches: int
    median_hours_to_mentoring_match: float | None
    moderation: Moderation


class Kpis(Figures):
    agency: str | None
    region: str | None
    from_: str = Field(alias="from")
    to: str


class DailyRow(Figures):
    date: str


class DailyKpis(ResponseModel):
    agency: str | None
    region: str | None
    from_: str = Field(alias="from")
    to: str
    items: list[DailyRow]
    next_cursor: None = None
