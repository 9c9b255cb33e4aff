"""docker-compose.yml describes the whole stack: it parses, every file it
builds from or mounts exists, every service of stack/services.py runs in it
like `make up` runs it, and every long-running container has a health check
and a restart policy."""
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from stack.services import METRICS_PORTS, SERVICES
from shared.settings import REPO_ROOT

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
STACK = COMPOSE["services"]
ONE_SHOT = {"bootstrap", "keys"}
# Beyond the platform's own services: what the stack needs around them.
INFRASTRUCTURE = {"rabbitmq", "postgres", "keys", "bootstrap", "gateway", "mailpit", "postgres-exporter", "prometheus", "grafana"}
EXPECTED_PORTS = {"identity": 9101, "posts": 9102, "moderation": 9103, "analytics": 9104,
                  "events": 9105, "mentoring": 9106, "notifications": 9107}


def test_every_platform_service_is_in_the_stack():
    assert set(SERVICES) <= set(STACK)
    assert set(EXPECTED_PORTS) | INFRASTRUCTURE <= set(STACK)


@pytest.mark.parametrize("name", sorted(set(SERVICES) | set(EXPECTED_PORTS)))
def test_a_service_runs_as_make_up_runs_it(name):
    service = STACK[name]
    assert service["command"] == f"nameko run --config infra/nameko.yaml services.{name}.service"
    assert service["environment"]["SERVICE_NAME"] == name
    assert int(service["environment"]["METRICS_PORT"]) == {**EXPECTED_PORTS, **METRICS_PORTS}[name]
    assert service["depends_on"]["bootstrap"]["condition"] == "service_completed_successfully"
    assert (REPO_ROOT / "infra/nameko.yaml").is_file()


@pytest.mark.parametrize("name", sorted(STACK))
def test_build_contexts_dockerfiles_and_mounted_files_exist(name):
    service = STACK[name]
    build = service.get("build")
    if build:
        context = REPO_ROOT / build["context"]
        assert context.is_dir()
        assert (context / build.get("dockerfile", "Dockerfile")).is_file()
    for volume in service.get("volumes", []):
        source = volume.split(":", 1)[0]
        if source.startswith((".", "/")):
            assert (REPO_ROOT / source).exists(), f"{name}: {source} does not exist"
        else:
            assert source in COMPOSE["volumes"], f"{name}: named volume {source} is not declared"


@pytest.mark.parametrize("name", sorted(set(STACK) - ONE_SHOT))
def test_long_running_containers_have_a_health_check_and_a_restart_policy(name):
    service = STACK[name]
    assert service["restart"] in {"unless-stopped", "always", "on-failure"}
    check = service.get("healthcheck")
    assert check and not check.get("disable") and check["test"], name


def test_dependencies_name_services_of_the_stack():
    for name, service in STACK.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in STACK, f"{name} depends on unknown {dependency}"


def test_published_ports_are_on_the_loopback_only():
    for name, service in STACK.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name}: {port}"


def test_prometheus_and_grafana_are_provisioned_from_the_repository():
    prometheus = STACK["prometheus"]
    assert "./infra/prometheus:/etc/prometheus:ro" in prometheus["volumes"]
    assert "--config.file=/etc/prometheus/prometheus.compose.yml" in prometheus["command"]
    assert (REPO_ROOT / "infra/prometheus/prometheus.compose.yml").is_file()
    grafana_sources = {Path(v.split(":")[0]) for v in STACK["grafana"]["volumes"] if v.startswith("./")}
    assert grafana_sources == {Path("infra/grafana/provisioning"), Path("infra/grafana/dashboards")}
    rabbit = STACK["rabbitmq"]
    assert "./infra/rabbitmq/enabled_plugins:/etc/rabbitmq/enabled_plugins:ro" in rabbit["volumes"]
    assert "rabbitmq_prometheus" in (REPO_ROOT / "infra/rabbitmq/enabled_plugins").read_text()


def test_the_jwt_private_key_is_mounted_into_identity_only():
    """Identity signs, the gateway verifies: the private key's volume is
    identity's (and the one-shot step's that makes the pair), the public
    key's the gateway's; nothing mounts var/keys as a whole any more."""
    env = STACK["identity"]["environment"]
    assert env["JWT_PRIVATE_KEY_PATH"].startswith("var/keys/private/")
    assert env["JWT_PUBLIC_KEY_PATH"].startswith("var/keys/public/")
    mounts = {name: [v.split(":")[0] for v in service.get("volumes", [])] for name, service in STACK.items()}
    assert {n for n, sources in mounts.items() if "jwt-private" in sources} == {"keys", "identity"}
    assert {n for n, sources in mounts.items() if "jwt-public" in sources} == {"keys", "gateway"}
    assert "jwt-private:/app/var/keys/private:ro" in STACK["identity"]["volumes"]
    assert "jwt-public:/app/var/keys/public:ro" in STACK["gateway"]["volumes"]
    assert not any(v.split(":")[1] == "/app/var/keys" for s in STACK.values() for v in s.get("volumes", [])
                   if v.count(":") >= 1)
    assert STACK["keys"]["command"] == ["python", "-m", "stack.keys"]
    assert STACK["bootstrap"]["depends_on"]["keys"]["condition"] == "service_completed_successfully"


def test_the_caller_private_key_is_mounted_into_the_gateway_only():
    """The gateway signs the caller of every RPC, each service verifies it:
    the private key's volume is the gateway's, the public key's every
    service's (shared/caller_token.py)."""
    from stack.services import SERVICES

    env = STACK["gateway"]["environment"]
    assert env["CALLER_PRIVATE_KEY_PATH"].startswith("var/keys/caller-private/")
    assert env["CALLER_PUBLIC_KEY_PATH"].startswith("var/keys/caller-public/")
    mounts = {name: [v.split(":")[0] for v in service.get("volumes", [])] for name, service in STACK.items()}
    assert {n for n, sources in mounts.items() if "caller-private" in sources} == {"keys", "gateway"}
    assert {n for n, sources in mounts.items() if "caller-public" in sources} == {"keys", *SERVICES}
    for name in SERVICES:
        assert "caller-public:/app/var/keys/caller-public:ro" in STACK[name]["volumes"], name


def test_service_metrics_listen_on_every_interface_inside_containers_only():
    # Prometheus scrapes them over the compose network; no port is published.
    assert STACK["identity"]["environment"]["METRICS_HOST"] == "0.0.0.0"
    assert not any("9101" in str(p) for p in STACK["identity"].get("ports", []))


SECRETS = ["PLATFORM_ADMIN_PASSWORD", "POSTGRES_PASSWORD", "RABBITMQ_PASSWORD", "CURSOR_KEY",
           "ANALYTICS_PSEUDONYM_KEY", "WEB_COOKIE_SECRET", "GRAFANA_ADMIN_PASSWORD", "DATA_TEAM_AMQP_PASSWORD",
           *(f"DB_PASSWORD_{service.upper()}" for service in (*SERVICES, "gateway")),
           *(f"AMQP_PASSWORD_{service.upper()}" for service in (*SERVICES, "gateway"))]
# What only the bootstrap may hold: the servers' admin passwords (in its URLs),
# the national admin's, every role's and broker user's.
ADMIN_SECRETS = ("${RABBITMQ_PASSWORD", "${POSTGRES_PASSWORD", "${PLATFORM_ADMIN_PASSWORD", "${DATA_TEAM_AMQP_PASSWORD",
                 "AMQP_PASSWORDS", "DB_PASSWORDS")
PLATFORM_CONTAINERS = sorted(name for name, service in STACK.items()
                             if service.get("image") == "community-platform:dev" and name != "bootstrap")


@pytest.mark.parametrize("name", PLATFORM_CONTAINERS)
def test_no_container_but_the_bootstrap_gets_an_admin_credential(name):
    env = STACK[name].get("environment", {})
    for key, value in env.items():
        assert not any(secret in f"{key}={value}" for secret in ADMIN_SECRETS), f"{name}: {key}"
    assert "RABBITMQ_MANAGEMENT_URL" not in env
    postgres = urlsplit(env["POSTGRES_URL"]) if "POSTGRES_URL" in env else None
    assert postgres is None or (postgres.username, postgres.password) == (None, None), name


def test_the_bootstrap_gets_the_admin_credentials():
    env = STACK["bootstrap"]["environment"]
    assert "${RABBITMQ_PASSWORD" in env["AMQP_URI"] and "${RABBITMQ_PASSWORD" in env["RABBITMQ_MANAGEMENT_URL"]
    assert "${POSTGRES_PASSWORD" in env["POSTGRES_URL"]


def test_each_process_connects_to_the_broker_as_its_own_user_and_the_bootstrap_makes_them_all():
    import json

    users = (*SERVICES, "gateway")
    passwords = json.loads(STACK["bootstrap"]["environment"]["AMQP_PASSWORDS"])
    assert set(passwords) == set(users)
    for name in users:
        # urlsplit cannot read compose's `${VAR:?message}` in a password.
        uri = re.fullmatch(r"amqp://(?P<user>[^:@]+):(?P<password>\$\{[^}]+\})@rabbitmq:5672/",
                           STACK[name]["environment"]["AMQP_URI"])
        assert uri, name
        assert uri["user"] == f"platform_{name}", name  # DB_NAME_PREFIX + name (shared/settings.py)
        assert uri["password"] == passwords[name] == f"${{AMQP_PASSWORD_{name.upper()}:?set AMQP_PASSWORD_{name.upper()}}}"
    assert "AMQP_URI" not in STACK["web"]["environment"]


def test_each_service_has_its_own_database_password_and_the_bootstrap_all_of_them():
    import json

    roles = (*SERVICES, "gateway")
    for service in roles:
        assert STACK[service]["environment"]["DB_PASSWORD"] == (
            f"${{DB_PASSWORD_{service.upper()}:?set DB_PASSWORD_{service.upper()}}}")
    passwords = json.loads(STACK["bootstrap"]["environment"]["DB_PASSWORDS"])
    assert set(passwords) == set(roles)
    assert all(passwords[s] == STACK[s]["environment"]["DB_PASSWORD"] for s in roles)
    assert not any("DB_PASSWORDS" in STACK[name].get("environment", {}) for name in STACK if name != "bootstrap")


@pytest.mark.parametrize("name", SECRETS)
def test_every_secret_is_required_with_no_default(name):
    """`${VAR:?message}`: compose stops with the message when it is unset;
    never `${VAR:-default}` nor a literal value."""
    import re

    text = (REPO_ROOT / "docker-compose.yml").read_text()
    uses = re.findall(r"\$\{" + name + r"([^}]*)\}", text)
    assert uses, f"{name} is not used"
    assert all(use.startswith(":?") and len(use) > 2 for use in uses), f"{name}: {uses}"


def test_no_server_runs_with_a_known_or_no_password():
    text = (REPO_ROOT / "docker-compose.yml").read_text()
    assert "guest:guest" not in text
    assert "POSTGRES_HOST_AUTH_METHOD" not in text
    assert "ChangeMe" not in text
    env = STACK["bootstrap"]["environment"]
    assert env["PLATFORM_ENV"] == "production"  # the bootstrap checks the admin password


def test_the_gateway_believes_forwarded_addresses_from_the_web_container_only():
    web_address = STACK["web"]["networks"]["default"]["ipv4_address"]
    assert STACK["gateway"]["environment"]["FORWARDED_ALLOW_IPS"] == web_address
    import ipaddress

    subnet = COMPOSE["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert ipaddress.ip_address(web_address) in ipaddress.ip_network(subnet)
