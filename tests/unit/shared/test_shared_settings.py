"""One settings source: every setting of the class family (shared/settings.py
and its subclasses: the gateway's, each service's) is listed in .env.example
with its default, nothing else is listed but the scripts' own variables, and
nameko's configuration file falls back on the same defaults."""
import re
from pathlib import Path

import pytest
import yaml
from pydantic import TypeAdapter

from gateway.settings import GatewaySettings
from shared.settings import REPO_ROOT, Settings, get_settings
from stack.services import SERVICES, service_class

# Read by shell scripts or the local SMTP sink, not by the platform's settings.
SCRIPT_VARIABLES = {"SMTP_SINK_PORT", "POSTGRES_HOST", "POSTGRES_PORT", "RABBITMQ_HOST", "ENSURE_SERVERS_TIMEOUT"}
LINE = re.compile(r"^(?P<commented>#\s*)?(?P<name>[A-Z][A-Z0-9_]+)=(?P<value>.*)$")


def family(cls=Settings):
    yield cls
    for sub in cls.__subclasses__():
        yield from family(sub)


def fields() -> dict:
    """Every setting of the family: env name -> (class, field)."""
    for name in SERVICES:
        service_class(name)  # imports the service's settings class
    import web.settings  # noqa: F401  (the web app's settings class)
    found = {}
    for cls in family():
        if cls.__module__.startswith(("tests.", "test_")):
            continue
        for name, field in cls.model_fields.items():
            found.setdefault(name.upper(), (cls, field))
    return found


def listed(text: str | None = None) -> dict[str, tuple[bool, str]]:
    text = text if text is not None else (REPO_ROOT / ".env.example").read_text()
    return {
        m["name"]: (bool(m["commented"]), m["value"])
        for m in map(LINE.match, text.splitlines()) if m
    }


def mismatches(entries: dict) -> list[str]:
    known = fields()
    problems = [f"{name} is a setting but not in .env.example" for name in sorted(set(known) - set(entries))]
    for name, (_commented, value) in sorted(entries.items()):
        if name in SCRIPT_VARIABLES:
            continue
        if name not in known:
            problems.append(f"{name} is in .env.example but no settings class reads it")
            continue
        if value == "":
            continue  # "not set": the default applies
        cls, field = known[name]
        default = field.get_default(call_default_factory=True)
        given = TypeAdapter(field.annotation).validate_python(value, strict=False) if not isinstance(default, list) else value
        if isinstance(default, Path) and not Path(value).is_absolute():
            given = REPO_ROOT / value
        if given != default:
            problems.append(f"{name}: .env.example says {value!r}, {cls.__name__} says {default!r}")
    return problems


def test_env_example_lists_every_setting_with_its_default_and_nothing_else():
    assert mismatches(listed()) == []


def test_a_drifted_default_a_forgotten_setting_or_an_unknown_variable_is_caught():
    entries = listed()
    entries["RPC_TIMEOUT_SECONDS"] = (False, "7")
    del entries["SMTP_HOST"]
    entries["SMTP_HOSTNAME"] = (False, "127.0.0.1")
    found = mismatches(entries)
    assert any(p.startswith("RPC_TIMEOUT_SECONDS:") for p in found)
    assert "SMTP_HOST is a setting but not in .env.example" in found
    assert "SMTP_HOSTNAME is in .env.example but no settings class reads it" in found


def test_nameko_falls_back_on_the_same_defaults():
    text = "\n".join(line for line in (REPO_ROOT / "infra/nameko.yaml").read_text().splitlines() if not line.startswith("#"))
    defaults = dict(re.findall(r"\$\{([A-Z_]+):([^}]*)\}", text))
    assert defaults.keys() == {"AMQP_URI", "NAMEKO_MAX_WORKERS", "LOG_LEVEL"}
    known = fields()
    for name, value in defaults.items():
        assert str(known[name][1].get_default()) == str(yaml.safe_load(value)), name


def test_each_process_reads_one_class_once(monkeypatch):
    monkeypatch.setenv("GATEWAY_PORT", "8123")
    get_settings.cache_clear()
    try:
        assert get_settings(GatewaySettings).gateway_port == 8123
        assert get_settings(GatewaySettings) is get_settings(GatewaySettings)
        assert get_settings(GatewaySettings).amqp_uri == get_settings().amqp_uri  # one family, one source
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("name", ["AMQP_URI", "GATEWAY_PORT", "REMINDER_LEAD_HOURS", "SMTP_HOST"])
def test_settings_are_read_under_their_environment_name(monkeypatch, name):
    cls, field = fields()[name]
    value = "9" if name.endswith(("PORT", "HOURS")) else "x://y"
    monkeypatch.setenv(name, value)
    assert str(getattr(cls(), name.lower())) in (value, "9.0")
