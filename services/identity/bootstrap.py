"""identity's deploy step: the pilot's agencies and the national admin
(`python -m stack.bootstrap` calls `seed`; what exists is kept)."""
import json
from datetime import datetime, timezone
from pathlib import Path

from services.identity import handlers
from services.identity.passwords import Argon2Hasher
from services.identity.repository import IdentityUnitOfWork
from shared.db.engine import unit_of_work
from shared.settings import Settings

PILOT_AGENCIES = Path(__file__).parent / "data/pilot_agencies.json"


def seed(settings: Settings) -> dict:
    agencies = json.loads(PILOT_AGENCIES.read_text())
    with unit_of_work(settings, "identity", IdentityUnitOfWork) as uow:
        return handlers.seed(
            uow, agencies, settings.platform_admin_email, settings.platform_admin_password, Argon2Hasher(),
            datetime.now(timezone.utc),
        )
