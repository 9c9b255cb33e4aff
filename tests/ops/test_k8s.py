"""infra/k8s: every manifest is valid against the Kubernetes schemas
(kubernetes-validate ships them; strict: unknown fields are errors), and the
platform runs there on several machines: every process replicated with probes
and resources, a bootstrap Job, the gateway behind a Service and an Ingress,
RabbitMQ and PostgreSQL outside, through a Secret."""
import copy

import kubernetes_validate
import pytest
import yaml

from stack.services import METRICS_PORTS, SERVICES
from shared.settings import REPO_ROOT

K8S = REPO_ROOT / "infra/k8s"
KUBERNETES_VERSION = "1.30.0"  # the oldest minor version still supported by the managed offers we target
PLATFORM_PORTS = {"identity": 9101, "posts": 9102, "moderation": 9103, "analytics": 9104,
                  "events": 9105, "mentoring": 9106, "notifications": 9107}
MANIFESTS = sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def documents(path):
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def resources() -> dict[tuple[str, str], dict]:
    return {(d["kind"], d["metadata"]["name"]): d for p in MANIFESTS for d in documents(p)}


def container(kind, name) -> dict:
    (only,) = resources()[(kind, name)]["spec"]["template"]["spec"]["containers"]
    return only


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_manifest_is_valid_against_the_kubernetes_schemas(path):
    for document in documents(path):
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_the_schema_check_rejects_a_misspelled_field():
    deployment = copy.deepcopy(resources()[("Deployment", "posts")])
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["prot"] = 9102
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
    deployment = copy.deepcopy(resources()[("Deployment", "posts")])
    deployment["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_kustomization_lists_every_manifest_but_the_secret_example():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    assert listed == {p.name for p in MANIFESTS} - {"secrets.example.yaml"}
    images = {c["image"] for (kind, _), r in resources().items() if kind in ("Deployment", "Job")
              for c in r["spec"]["template"]["spec"]["containers"]}
    assert images == {i["name"] for i in kustomization["images"]} == {"community-platform"}


@pytest.mark.parametrize("name", sorted(set(SERVICES) | set(PLATFORM_PORTS)))
def test_every_service_runs_replicated_with_probes_on_its_metrics_port(name):
    deployment = resources()[("Deployment", name)]
    assert deployment["spec"]["replicas"] >= 2
    pod = deployment["spec"]["template"]["spec"]
    assert pod["topologySpreadConstraints"][0]["topologyKey"] == "kubernetes.io/hostname"
    main = container("Deployment", name)
    assert main["command"] == ["nameko", "run", "--config", "infra/nameko.yaml", f"services.{name}.service"]
    env = {e["name"]: e.get("value") for e in main["env"]}
    port = int(env["METRICS_PORT"])
    assert port == {**PLATFORM_PORTS, **METRICS_PORTS}[name] and env["SERVICE_NAME"] == name
    assert [p["containerPort"] for p in main["ports"] if p["name"] == "metrics"] == [port]
    for probe in ("livenessProbe", "readinessProbe"):
        assert main[probe]["httpGet"] == {"path": "/metrics", "port": "metrics"}, probe
    assert_resources(main)
    assert resources()[("PodDisruptionBudget", name)]["spec"]["minAvailable"] == 1


def assert_resources(main):
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(main["resources"][kind]), kind


def test_the_gateway_runs_replicated_behind_a_service_and_an_ingress():
    deployment = resources()[("Deployment", "gateway")]
    assert deployment["spec"]["replicas"] >= 2
    main = container("Deployment", "gateway")
    assert main["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert main["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert_resources(main)
    service = resources()[("Service", "gateway")]
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    ingress = resources()[("Ingress", "gateway")]
    backends = [p["backend"]["service"] for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
    assert backends and all(b == {"name": "gateway", "port": {"name": "http"}} for b in backends)
    exposed = {p["path"] for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]}
    assert "/v1" in exposed and not exposed & {"/", "/metrics"}, "metrics and probes stay inside the cluster"


def test_the_web_app_runs_replicated_behind_an_ingress_with_its_cookie_secret_and_pod_affinity():
    deployment = resources()[("Deployment", "web")]
    assert deployment["spec"]["replicas"] >= 2
    main = container("Deployment", "web")
    assert main["command"][:3] == ["python", "-m", "web"]
    env = {e["name"]: e for e in main["env"]}
    assert env["WEB_ENVIRONMENT"]["value"] == "production"  # Secure cookies, a real secret required
    assert env["WEB_GATEWAY_URL"]["value"] == "http://gateway"
    assert env["WEB_COOKIE_SECRET"]["valueFrom"]["secretKeyRef"]["name"] == "platform-web"
    assert main["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert_resources(main)
    ingress = resources()[("Ingress", "web")]
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    backends = [p["backend"]["service"] for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
    assert backends == [{"name": "web", "port": {"name": "http"}}]


def test_a_bootstrap_job_prepares_databases_topology_and_data():
    job = resources()[("Job", "bootstrap")]
    assert container("Job", "bootstrap")["command"] == ["python", "-m", "stack.bootstrap"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] in {"OnFailure", "Never"}


def test_broker_and_database_are_external_and_their_credentials_in_a_secret():
    config = resources()[("ConfigMap", "platform-config")]["data"]
    assert not {"AMQP_URI", "POSTGRES_URL", "RABBITMQ_MANAGEMENT_URL", "PLATFORM_ADMIN_PASSWORD"} & set(config)
    example = resources()[("Secret", "platform-secrets")]["stringData"]
    assert {"AMQP_URI", "POSTGRES_URL", "RABBITMQ_MANAGEMENT_URL", "PLATFORM_ADMIN_PASSWORD"} <= set(example)
    for (kind, name), resource in resources().items():
        if (kind, name) == ("Deployment", "web"):
            # A client of the gateway like any other: no broker or database credential.
            assert "envFrom" not in container(kind, name)
            continue
        if kind in ("Deployment", "Job"):
            sources = container(kind, name)["envFrom"]
            # The admin's URLs and password: the bootstrap Job's alone.
            assert ({"secretRef": {"name": "platform-secrets"}} in sources) == (kind == "Job"), name
            assert {"configMapRef": {"name": "platform-config"}} in sources, name
    assert not any(kind == "StatefulSet" for kind, _ in resources()), "no broker or database in the cluster manifests"


def test_the_jwt_private_key_is_mounted_into_identity_only():
    holders = set()
    for (kind, name), resource in resources().items():
        if kind not in ("Deployment", "Job"):
            continue
        for volume in resource["spec"]["template"]["spec"].get("volumes", []):
            secret = volume.get("secret", {})
            if secret.get("secretName") != "platform-jwt-keys":
                continue
            keys = {item["key"] for item in secret.get("items", [])}
            assert keys, f"{name} mounts every key of platform-jwt-keys"
            if "jwt_ed25519.pem" in keys:
                holders.add(name)
    assert holders == {"identity"}


def test_the_caller_private_key_is_mounted_into_the_gateway_only():
    """The gateway signs the caller of every RPC; each service mounts the
    public key alone, at the path the ConfigMap names."""
    from stack.services import SERVICES

    mounted: dict[str, set[str]] = {}
    for (kind, name), resource in resources().items():
        if kind not in ("Deployment", "Job"):
            continue
        for volume in resource["spec"]["template"]["spec"].get("volumes", []):
            secret = volume.get("secret", {})
            if secret.get("secretName") == "platform-caller-keys":
                keys = {item["key"] for item in secret.get("items", [])}
                assert keys, f"{name} mounts every key of platform-caller-keys"
                mounted[name] = keys
    assert mounted == {"gateway": {"caller_ed25519.pem"}, **{s: {"caller_ed25519.pub.pem"} for s in SERVICES}}
    config = resources()[("ConfigMap", "platform-config")]["data"]
    assert config["CALLER_PRIVATE_KEY_PATH"] == "/app/var/caller-keys/caller_ed25519.pem"
    assert config["CALLER_PUBLIC_KEY_PATH"] == "/app/var/caller-keys/caller_ed25519.pub.pem"


def test_service_metrics_listen_on_the_pod_address():
    # The default is 127.0.0.1; Prometheus and the probes reach the pod's address.
    assert resources()[("ConfigMap", "platform-config")]["data"]["METRICS_HOST"] == "0.0.0.0"


SECRET_SETTINGS = {"AMQP_URI", "POSTGRES_URL", "RABBITMQ_MANAGEMENT_URL", "PLATFORM_ADMIN_PASSWORD", "CURSOR_KEY",
                   "ANALYTICS_PSEUDONYM_KEY", "WEB_COOKIE_SECRET", "SMTP_PASSWORD"}


def required_secrets(kind, name) -> set[str]:
    return {e["name"] for e in container(kind, name).get("env", [])
            if "secretKeyRef" in e.get("valueFrom", {}) and not e["valueFrom"]["secretKeyRef"].get("optional")}


def test_no_manifest_holds_a_secret_value():
    config = resources()[("ConfigMap", "platform-config")]["data"]
    assert not SECRET_SETTINGS & set(config)
    assert config["PLATFORM_ENV"] == "production"
    for (kind, name), _ in resources().items():
        if kind in ("Deployment", "Job"):
            for entry in container(kind, name).get("env", []):
                assert not (entry["name"] in SECRET_SETTINGS and "value" in entry), f"{name}: {entry['name']}"


def test_the_secrets_each_part_needs_are_required():
    assert {"PLATFORM_ADMIN_PASSWORD", "CURSOR_KEY"} <= required_secrets("Job", "bootstrap")
    for service in SERVICES:
        assert "CURSOR_KEY" in required_secrets("Deployment", service), service
    assert "ANALYTICS_PSEUDONYM_KEY" in required_secrets("Deployment", "analytics")
    example = resources()[("Secret", "platform-secrets")]["stringData"]
    assert {"CURSOR_KEY", "ANALYTICS_PSEUDONYM_KEY", "PLATFORM_ADMIN_PASSWORD"} <= set(example)


def test_each_service_reads_its_own_database_password_and_the_bootstrap_all_of_them():
    def from_db_roles(kind, name) -> dict[str, str]:
        return {e["name"]: e["valueFrom"]["secretKeyRef"]["key"] for e in container(kind, name).get("env", [])
                if e.get("valueFrom", {}).get("secretKeyRef", {}).get("name") == "platform-db-roles"}

    for service in SERVICES:
        assert from_db_roles("Deployment", service) == {"DB_PASSWORD": service}, service
    assert from_db_roles("Job", "bootstrap") == {"DB_PASSWORDS": "DB_PASSWORDS"}
    assert from_db_roles("Deployment", "gateway") == {"DB_PASSWORD": "gateway"}
    example = resources()[("Secret", "platform-db-roles")]["stringData"]
    assert set(example) == {*SERVICES, "gateway", "DB_PASSWORDS"}


ADMIN_KEYS = {"AMQP_URI", "POSTGRES_URL", "RABBITMQ_MANAGEMENT_URL", "PLATFORM_ADMIN_PASSWORD", "PLATFORM_ADMIN_EMAIL",
              "DATA_TEAM_AMQP_PASSWORD", "DB_PASSWORDS", "AMQP_PASSWORDS"}


@pytest.mark.parametrize("name", [*SERVICES, "gateway", "web"])
def test_no_pod_but_the_bootstrap_gets_an_admin_credential(name):
    main = container("Deployment", name)
    assert not any("secretRef" in source for source in main.get("envFrom", [])), name
    for entry in main.get("env", []):
        ref = entry.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            assert ref["key"] not in ADMIN_KEYS, f"{name}: {entry['name']} from {ref}"
    config = resources()[("ConfigMap", "platform-config")]["data"]
    from urllib.parse import urlsplit

    server = urlsplit(config["POSTGRES_SERVER_URL"])
    assert (server.username, server.password) == (None, None)


@pytest.mark.parametrize("name", [*SERVICES, "gateway"])
def test_each_process_reads_its_own_broker_uri_and_the_database_server_without_credentials(name):
    env = {e["name"]: e.get("valueFrom", {}) for e in container("Deployment", name)["env"]}
    assert env["AMQP_URI"] == {"secretKeyRef": {"name": "platform-broker-users", "key": name}}
    assert env["POSTGRES_URL"] == {"configMapKeyRef": {"name": "platform-config", "key": "POSTGRES_SERVER_URL"}}


def test_the_bootstrap_makes_every_broker_user_with_the_examples_users():
    from urllib.parse import urlsplit

    example = resources()[("Secret", "platform-broker-users")]["stringData"]
    assert set(example) == {*SERVICES, "gateway", "AMQP_PASSWORDS"}
    for name in (*SERVICES, "gateway"):
        assert urlsplit(example[name]).username == f"platform_{name}"  # DB_NAME_PREFIX + name
    env = {e["name"]: e.get("valueFrom", {}) for e in container("Job", "bootstrap")["env"]}
    assert env["AMQP_PASSWORDS"] == {"secretKeyRef": {"name": "platform-broker-users", "key": "AMQP_PASSWORDS"}}


def test_the_example_admin_password_would_be_refused_by_the_bootstrap():
    from shared.settings import Settings
    from stack.bootstrap import check

    example = resources()[("Secret", "platform-secrets")]["stringData"]["PLATFORM_ADMIN_PASSWORD"]
    with pytest.raises(SystemExit):
        check(Settings(platform_env="production", platform_admin_password=example))


def test_the_gateway_believes_forwarded_addresses_from_the_cluster_only():
    import ipaddress

    env = {e["name"]: e.get("value") for e in container("Deployment", "gateway")["env"]}
    trusted = [ipaddress.ip_network(n.strip()) for n in env["FORWARDED_ALLOW_IPS"].split(",")]
    assert trusted and all(n.is_private for n in trusted)  # the ingress and web pods, never "*"
