"""notifications' RPC input models."""
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChannelChoice(Strict):
    in_app: bool
    email: bool


class PreferencesIn(Strict):
    channels: dict[str, ChannelChoice] = Field(max_length=50)
    digest: Literal["off", "daily", "weekly"]


class ListQuery(Strict):
    unread: bool = False
    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = Field(None, max_length=40)
