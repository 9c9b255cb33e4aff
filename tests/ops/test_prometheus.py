"""The Prometheus configuration, alert rules and their unit tests, checked by
promtool itself; and the alerts' links to their runbooks."""
import re

import yaml

from tests.ops.conftest import PROMETHEUS_DIR
from stack.services import METRICS_PORTS, SERVICES
from shared.settings import REPO_ROOT

CONFIGS = ("prometheus.yml", "prometheus.compose.yml")
PLATFORM_PORTS = {
    "identity": 9101, "posts": 9102, "moderation": 9103, "analytics": 9104,
    "events": 9105, "mentoring": 9106, "notifications": 9107,
}


def load(name: str) -> dict:
    return yaml.safe_load((PROMETHEUS_DIR / name).read_text())


def alerts() -> list[dict]:
    return [rule for group in load("alerts.yml")["groups"] for rule in group["rules"] if "alert" in rule]


def test_both_scrape_configurations_are_valid(promtool):
    for name in CONFIGS:
        result = promtool("check", "config", name)
        assert "SUCCESS" in result.stdout


def test_alert_rules_are_valid(promtool):
    promtool("check", "rules", "alerts.yml")


def test_alert_rules_pass_their_unit_tests(promtool):
    result = promtool("test", "rules", "alerts.test.yml")
    assert "SUCCESS" in result.stdout


def test_every_alert_has_a_unit_test():
    tested = {
        case["alertname"]
        for test in load("alerts.test.yml")["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert {rule["alert"] for rule in alerts()} <= tested


def test_every_alert_has_a_severity_and_an_existing_runbook():
    for rule in alerts():
        assert rule["labels"]["severity"] in {"page", "ticket"}, rule["alert"]
        runbook = REPO_ROOT / rule["annotations"]["runbook"]
        assert runbook.is_file(), f"{rule['alert']}: no runbook at {runbook}"
        text = runbook.read_text()
        assert rule["alert"] in text, f"{runbook} does not name {rule['alert']}"
        for section in ("## What it means", "## How to look", "## How to fix"):
            assert section in text, f"{runbook}: missing '{section}'"


def targets(config: dict) -> dict[str, list[str]]:
    return {job["job_name"]: [t for sc in job.get("static_configs", []) for t in sc["targets"]] for job in config["scrape_configs"]}


def test_local_configuration_scrapes_every_process_on_its_port():
    jobs = targets(load("prometheus.yml"))
    assert jobs["gateway"] == ["127.0.0.1:8000"]
    assert jobs["web"] == ["127.0.0.1:8080"]
    for service, port in {**PLATFORM_PORTS, **METRICS_PORTS}.items():
        assert jobs[service] == [f"127.0.0.1:{port}"], service
    assert set(SERVICES) <= set(jobs)
    assert jobs["rabbitmq"] == jobs["rabbitmq-queues"] == ["127.0.0.1:15692"]
    assert jobs["postgres"] == ["127.0.0.1:9187"]


def test_compose_configuration_has_the_same_jobs_on_compose_service_names():
    local, compose = targets(load("prometheus.yml")), targets(load("prometheus.compose.yml"))
    assert set(local) == set(compose)
    compose_services = set(yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())["services"])
    for job, hosts in compose.items():
        for target in hosts:
            host, port = target.rsplit(":", 1)
            assert host in compose_services, f"{job}: {host} is not a compose service"
            assert [t.rsplit(":", 1)[1] for t in local[job]] == [port], job


def test_per_queue_rabbitmq_metrics_come_from_the_detailed_endpoint():
    """rabbitmq_prometheus aggregates /metrics: the dead-letter and event
    queue alerts need /metrics/detailed with the queue families."""
    job = next(j for j in load("prometheus.yml")["scrape_configs"] if j["job_name"] == "rabbitmq-queues")
    assert job["metrics_path"] == "/metrics/detailed"
    assert {"queue_coarse_metrics", "queue_consumer_count"} <= set(job["params"]["family"])
    exprs = " ".join(rule["expr"] for rule in alerts())
    assert re.search(r"rabbitmq_detailed_queue_messages\{queue=\"dead-letters\"\}", exprs)
