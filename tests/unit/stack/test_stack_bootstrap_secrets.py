"""No default secret outside development: the bootstrap refuses the README's
admin password and any password failing the policy unless PLATFORM_ENV is
development, and says why without printing the password."""
import pytest

from shared.settings import Settings
from stack.bootstrap import bootstrap, check
from stack.services import SERVICES

DOCUMENTED = "ChangeMe-Pilote-2026!"


def test_the_documented_default_is_the_readmes():
    from shared.settings import REPO_ROOT

    assert Settings.model_fields["platform_admin_password"].default == DOCUMENTED
    assert DOCUMENTED in (REPO_ROOT / "README.md").read_text()


@pytest.mark.parametrize(("password", "reason"), [
    (DOCUMENTED, "documented default"),
    ("court", "fewer than 12 characters"),
    ("CHANGE-ME", "fewer than 12 characters"),  # infra/k8s/secrets.example.yaml's placeholder
    ("password1234", "common password"),
])
def test_outside_development_a_weak_or_documented_admin_password_is_refused(password, reason):
    settings = Settings(platform_env="production", platform_admin_password=password)
    with pytest.raises(SystemExit) as refused:
        check(settings)
    message = str(refused.value)
    assert reason in message and "PLATFORM_ADMIN_PASSWORD" in message
    assert password not in message


def test_the_refusal_comes_before_anything_is_deployed():
    # An unreachable database and broker: refused before trying either.
    settings = Settings(platform_env="production", postgres_url="postgresql://nobody@127.0.0.1:1",
                        amqp_uri="amqp://nobody:x@127.0.0.1:1/")
    with pytest.raises(SystemExit, match="documented default"):
        bootstrap(settings)


BROKER_PASSWORDS = {name: f"{name}-s3cret-2026" for name in (*SERVICES, "gateway")}


def test_a_strong_password_of_ones_own_passes():
    check(Settings(platform_env="production", platform_admin_password="une phrase bien à nous 2026",
                   amqp_passwords=BROKER_PASSWORDS))


@pytest.mark.parametrize("missing", ["posts", "gateway"])
def test_outside_development_every_process_needs_its_own_broker_password(missing):
    passwords = {name: value for name, value in BROKER_PASSWORDS.items() if name != missing}
    settings = Settings(platform_env="production", platform_admin_password="une phrase bien à nous 2026",
                        amqp_passwords=passwords, postgres_url="postgresql://nobody@127.0.0.1:1",
                        amqp_uri="amqp://nobody:x@127.0.0.1:1/")
    with pytest.raises(SystemExit, match=f"AMQP_PASSWORDS has no password for: {missing} "):
        bootstrap(settings)  # refused before the database or the broker is tried
    with pytest.raises(ValueError):
        settings.service_amqp_uri(missing)


def test_in_development_a_broker_password_defaults():
    settings = Settings(platform_env="development", amqp_uri="amqp://admin:secret@rabbit:5672/platform")
    check(settings)
    assert settings.service_amqp_uri("posts") == "amqp://platform_posts:dev-platform_posts@rabbit:5672/platform"


def test_in_development_the_documented_default_is_accepted():
    check(Settings(platform_env="development"))
    check(Settings(platform_env="Development", platform_admin_password="court"))


def test_an_unset_environment_is_not_development(monkeypatch):
    monkeypatch.delenv("PLATFORM_ENV", raising=False)
    monkeypatch.delenv("PLATFORM_ADMIN_PASSWORD", raising=False)
    settings = Settings()
    assert not settings.is_development
    with pytest.raises(SystemExit):
        check(settings)
