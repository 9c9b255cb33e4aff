"""mentoring's own configuration (shared/settings.py: one class family)."""
from pydantic import Field

from shared.settings import Settings


class MentoringSettings(Settings):
    # How long an accepted mentorship lasts, in calendar months.
    mentorship_months: int = Field(6, ge=1, le=60)
    # How often mentorships past their end date are completed, in seconds.
    mentoring_scan_seconds: float = Field(60.0, gt=0)
    mentoring_batch_size: int = Field(200, ge=1)

