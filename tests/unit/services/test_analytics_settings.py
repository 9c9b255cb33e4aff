"""analytics' pseudonym key: from the environment, else from a file generated once."""
import stat

import pytest

from services.analytics.settings import AnalyticsSettings, load_pseudonym_key


def test_the_key_file_is_generated_once_private_and_reused(tmp_path):
    path = tmp_path / "keys" / "analytics_pseudonym.key"
    settings = AnalyticsSettings(analytics_pseudonym_key_path=path)
    first = load_pseudonym_key(settings)
    assert len(first) == 64 and path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_pseudonym_key(settings) == first
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no draft left behind


def test_the_environment_wins_over_the_file(tmp_path):
    settings = AnalyticsSettings(analytics_pseudonym_key="k" * 20, analytics_pseudonym_key_path=tmp_path / "none.key")
    assert load_pseudonym_key(settings) == b"k" * 20
    assert not (tmp_path / "none.key").exists()


def test_a_short_key_is_refused(tmp_path):
    with pytest.raises(SystemExit):
        load_pseudonym_key(AnalyticsSettings(analytics_pseudonym_key="short"))
    (tmp_path / "short.key").write_text("short\n")
    with pytest.raises(SystemExit):
        load_pseudonym_key(AnalyticsSettings(analytics_pseudonym_key_path=tmp_path / "short.key"))


def test_the_retention_must_be_a_rabbitmq_age():
    assert AnalyticsSettings(analytics_stream_max_age="90D").analytics_stream_max_age == "90D"
    with pytest.raises(ValueError):
        AnalyticsSettings(analytics_stream_max_age="forever")
