"""mentoring's own configuration, from environment variables."""
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class MentoringSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    # How long an accepted mentorship lasts, in calendar months.
    mentorship_months: int = Field(6, ge=1, le=60)
    # How often mentorships past their end date are completed, in seconds.
    mentoring_scan_seconds: float = Field(60.0, gt=0)
    mentoring_batch_size: int = Field(200, ge=1)


@lru_cache
def get_mentoring_settings() -> MentoringSettings:
    return MentoringSettings()
