"""identity's deploy step: the pilot's agencies and the national admin
(`python -m stack.bootstrap` calls `seed`; what exists is kept)."""
import json
from datetime import datetime, timezone
from pathlib import Path

from services.identity import domain, handlers
from services.identity.passwords import Argon2Hasher, common_passwords
from services.identity.repository import IdentityUnitOfWork
from shared.db.engine import unit_of_work
from shared.settings import Settings

PILOT_AGENCIES = Path(__file__).parent / "data/pilot_agencies.json"


def check(settings: Settings) -> None:
    """Before anything is deployed: outside development (PLATFORM_ENV), the
    admin's password must pass the password policy and must not be the
    documented default."""
    if settings.is_development:
        return
    documented = Settings.model_fields["platform_admin_password"].default
    problems = domain.admin_password_problems(settings.platform_admin_password, documented, common_passwords())
    if problems:
        raise SystemExit(
            "PLATFORM_ADMIN_PASSWORD refused outside development: " + "; ".join(problems)
            + ". Set a password of your own (12 characters or more, not a common one), "
            "or PLATFORM_ENV=development on a developer machine."
        )


def seed(settings: Settings) -> dict:
    agencies = json.loads(PILOT_AGENCIES.read_text())
    with unit_of_work(settings, "identity", IdentityUnitOfWork) as uow:
        return handlers.seed(
            uow, agencies, settings.platform_admin_email, settings.platform_admin_password, Argon2Hasher(),
            datetime.now(timezone.utc),
        )
