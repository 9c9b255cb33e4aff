"""moderation's configuration: the screening rules file and the service's settings."""
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from shared.settings import Settings

DEFAULT_RULES_PATH = Path(__file__).resolve().parent / "rules.yaml"

RuleName = Literal[
    "personal_data.phone", "personal_data.email", "personal_data.nir", "personal_data.iban",
    "abuse.word_list", "spam.links", "spam.duplicate", "spam.flood",
]
Decision = Literal["publish", "hold", "reject"]
RULE_NAMES: tuple[str, ...] = RuleName.__args__
SEVERITY = {"publish": 0, "hold": 1, "reject": 2}


class Thresholds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    links_max: int = Field(3, ge=0)
    duplicate_window_minutes: float = Field(1440, gt=0)
    duplicate_min_chars: int = Field(30, ge=1)
    flood_max_posts: int = Field(5, ge=1)
    flood_window_minutes: float = Field(10, gt=0)
    reports_to_hide: int = Field(3, ge=1)


class Rules(BaseModel):
    """Every rule must be given a decision: a typo in the file stops the service at start."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    decisions: dict[RuleName, Decision]
    thresholds: Thresholds = Thresholds()

    def model_post_init(self, __context) -> None:
        missing = set(RULE_NAMES) - set(self.decisions)
        if missing:
            raise ValueError(f"rules without a decision: {sorted(missing)}")

    def decide(self, fired: list[str]) -> tuple[str, tuple[str, ...]]:
        """The strictest decision among the rules that fired; rules set to publish are off."""
        reasons = tuple(rule for rule in fired if self.decisions[rule] != "publish")
        decision = max((self.decisions[r] for r in reasons), key=SEVERITY.__getitem__, default="publish")
        return decision, reasons


def rules_path() -> Path:
    return ModerationSettings().moderation_rules_path  # read each time: tests point it elsewhere


def load_rules(path: Path | None = None) -> Rules:
    with open(path or rules_path(), encoding="utf-8") as f:
        return Rules.model_validate(yaml.safe_load(f))


class ModerationSettings(Settings):
    # The screening rules file (which rule leads to which decision, thresholds).
    moderation_rules_path: Path = DEFAULT_RULES_PATH
    # A question with no published answer after this many hours goes to its agency's advisors.
    unanswered_after_hours: float = Field(24.0, gt=0)
    # How often the service lifts expired sanctions, flags unanswered questions and
    # refreshes its queue gauges.
    moderation_sweep_seconds: float = Field(2.0, gt=0)
    # Worker processes screening texts off the service's event loop, per service process.
    screening_workers: int = Field(2, ge=1)
    # Seconds a text may take to screen; past it the text is held for a person
    # (reason screening.unfinished), never published unscreened.
    screening_budget_seconds: float = Field(1.0, gt=0)
    # Texts this short or shorter are screened in the service process, without
    # the trip to a worker (issue 17). Bounded: the slowest hostile input of
    # bench/moderation/inputs.py cut to 1,000 characters screens in 1.1 ms
    # (personal_data.iban, repeated "FR76 "; 2.3 ms at 2,000, 4.7 ms at 4,000)
    # against 0.2 ms for a 200-character post. 0: every text to a worker.
    screening_in_process_chars: int = Field(1000, ge=0)
