"""identity's own configuration (shared/settings.py: one class family)."""
from pydantic import Field

from shared.settings import Settings


class IdentitySettings(Settings):
    # A login lasts at most this long after the password was typed, however
    # often its refresh token is renewed.
    login_max_days: float = Field(30.0, gt=0)
