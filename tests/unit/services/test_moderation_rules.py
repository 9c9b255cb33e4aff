"""Rules are configuration: rules.yaml (or MODERATION_RULES_PATH) says which rule leads to which decision."""
from datetime import datetime, timezone

import pytest
import yaml
from pydantic import ValidationError

from services.moderation import config
from services.moderation.abuse import WordList
from services.moderation.screening import Screener, Screening
from services.moderation.spam import RecentWriting, fingerprint

AT = datetime(2025, 3, 4, 9, 30, tzinfo=timezone.utc)


def rules_with(**changes):
    data = yaml.safe_load(config.DEFAULT_RULES_PATH.read_text())
    data["decisions"].update(changes)
    return config.Rules.model_validate(data)


def test_the_shipped_file_gives_every_rule_a_decision():
    rules = config.load_rules(config.DEFAULT_RULES_PATH)
    assert set(rules.decisions) == set(config.RULE_NAMES)
    assert rules.decisions["personal_data.phone"] == "hold" and rules.decisions["spam.duplicate"] == "reject"


def test_an_env_var_points_to_another_rules_file(tmp_path, monkeypatch):
    data = yaml.safe_load(config.DEFAULT_RULES_PATH.read_text())
    data["decisions"]["abuse.word_list"] = "reject"
    data["thresholds"]["links_max"] = 1
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data))
    monkeypatch.setenv("MODERATION_RULES_PATH", str(path))
    rules = config.load_rules()
    assert rules.decisions["abuse.word_list"] == "reject" and rules.thresholds.links_max == 1


@pytest.mark.parametrize(
    "broken",
    [
        {"decisions": {"personal_data.phone": "hold"}},  # rules missing
        {"decisions": {**{r: "hold" for r in config.RULE_NAMES}, "personal_data.fax": "hold"}},  # unknown rule
        {"decisions": {r: "ban" for r in config.RULE_NAMES}},  # unknown decision
        {"decisions": {r: "hold" for r in config.RULE_NAMES}, "thresholds": {"links_max": -1}},
    ],
)
def test_a_broken_rules_file_is_refused(broken):
    with pytest.raises(ValidationError):
        config.Rules.model_validate(broken)


def test_the_strictest_decision_wins_and_publish_switches_a_rule_off():
    screener = Screener(rules_with(**{"personal_data.phone": "publish", "abuse.word_list": "reject"}), WordList.of(["connard"]))
    assert screener.screen("06 12 34 56 78") == Screening("publish", ())
    assert screener.screen("06 12 34 56 78 connard camille@exemple.fr") == Screening(
        "reject", ("personal_data.email", "abuse.word_list")
    )


def test_spam_rules_use_the_authors_recent_writing():
    screener = Screener(rules_with(), WordList.of([]))
    text = "Je vends des formations CACES à prix cassé, contactez-moi vite"
    recent = [RecentWriting("p1", fingerprint(text), True, AT)]
    assert screener.screen(text, target_id="p2", at=AT, recent=recent) == Screening("reject", ("spam.duplicate",))
