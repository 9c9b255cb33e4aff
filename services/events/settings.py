"""events' own configuration (shared/settings.py: one class family)."""
from pydantic import Field

from shared.settings import Settings


class EventsSettings(Settings):
    # How long before an event its confirmed registrants are reminded.
    reminder_lead_hours: float = Field(24.0, gt=0)
    # How often the reminder scan runs, in seconds.
    reminder_scan_seconds: float = Field(60.0, gt=0)
    # Registrations reminded per scan transaction (the rest wait for the next batch).
    reminder_batch_size: int = Field(200, ge=1)

