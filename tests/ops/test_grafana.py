"""The provisioned Grafana dashboards: well-formed, bound to the provisioned
data source, every query valid PromQL (checked by promtool) and reading only
metrics that something exports."""
import json
import re
import shutil
import subprocess

import pytest
import yaml

from tests.ops.conftest import GRAFANA_DIR, PROMETHEUS_DIR
from tests.ops.promql import known_names, metric_names
from shared.settings import REPO_ROOT

DASHBOARDS = sorted((GRAFANA_DIR / "dashboards").glob("*.json"))
KPIS = (
    "platform_kpi_active_users", "platform_kpi_posts", "platform_kpi_answered_question_ratio",
    "platform_kpi_median_minutes_to_first_answer", "platform_kpi_event_fill_rate", "platform_kpi_mentoring_matches",
)
# Grafana template variables, replaced by a value of the right kind before promtool sees them.
VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h"}
LABEL_VALUES = re.compile(r"^label_values\((?:(?P<expr>.+),\s*)?(?P<label>\w+)\)$")


def panels(dashboard: dict):
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def queries() -> list[tuple[str, str, str]]:
    """(dashboard file, panel title, PromQL) for every panel target and variable."""
    found = []
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text())
        for panel in panels(dashboard):
            for target in panel.get("targets", []):
                found.append((path.name, panel["title"], target["expr"]))
        for variable in dashboard.get("templating", {}).get("list", []):
            if variable.get("type") == "query":
                query = variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
                match = LABEL_VALUES.match(query)
                assert match, f"{path.name}: variable {variable['name']} is not label_values(...)"
                found.append((path.name, f"variable {variable['name']}", match["expr"] or "up"))
    return found


def as_promql(expr: str) -> str:
    for name, value in VARIABLES.items():
        expr = expr.replace(name, value)
    return re.sub(r"\$\{?\w+\}?", ".*", expr)  # $agency in a =~ matcher


def test_there_are_the_three_dashboards():
    uids = {json.loads(p.read_text())["uid"] for p in DASHBOARDS}
    assert uids == {"platform-overview", "messaging", "pilot-kpis"}


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboard_is_well_formed(path):
    dashboard = json.loads(path.read_text())
    assert dashboard["title"] and dashboard["uid"] and dashboard["schemaVersion"] >= 36
    ids = [p["id"] for p in panels(dashboard)]
    assert len(ids) == len(set(ids)), "panel ids are unique"
    for panel in panels(dashboard):
        assert {"x", "y", "w", "h"} <= set(panel["gridPos"]), panel["title"]
        if panel["type"] != "row":
            assert panel["datasource"] == {"type": "prometheus", "uid": "prometheus"}, panel["title"]
            assert panel["targets"], f"{panel['title']} has no query"
            assert len({t["refId"] for t in panel["targets"]}) == len(panel["targets"])


def test_every_dashboard_query_is_valid_promql(promtool, tmp_path):
    """promtool parses every expression: as recording rules, `check rules`
    rejects any that is not valid PromQL."""
    rules = [{"record": f"dashboard:query_{i}:check", "expr": as_promql(expr)} for i, (_, _, expr) in enumerate(queries())]
    assert len(rules) > 30
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    result = promtool("check", "rules", str(path))
    assert f"SUCCESS: {len(rules)} rules found" in result.stdout


def test_promtool_check_rejects_an_invalid_query(promtool, tmp_path):
    """The check above can fail: a broken expression is refused."""
    path = tmp_path / "bad.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "x", "rules": [{"record": "a:b", "expr": "sum(rate(x[5m])"}]}]}))
    result = subprocess.run([shutil.which("promtool"), "check", "rules", str(path)], capture_output=True, text=True)
    assert result.returncode != 0


def test_dashboards_and_alerts_read_only_exported_metrics():
    """A renamed metric breaks this test, not the dashboards in production."""
    known = known_names()
    alert_rules = [r for g in yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text())["groups"] for r in g["rules"]]
    known |= {r["record"] for r in alert_rules if "record" in r}
    used = [(f, t, e) for f, t, e in queries()] + [("alerts.yml", r.get("alert") or r["record"], r["expr"]) for r in alert_rules]
    unknown = {(f, t, name) for f, t, e in used for name in metric_names(e) if name not in known}
    assert not unknown


def test_the_kpi_dashboard_shows_every_kpi_per_agency():
    dashboard = json.loads((GRAFANA_DIR / "dashboards/pilot-kpis.json").read_text())
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert "agency" in variables
    exprs = [t["expr"] for p in panels(dashboard) for t in p.get("targets", [])]
    for kpi in KPIS:
        assert any(kpi in e and "by (agency)" in e and '$agency' in e for e in exprs), kpi


def test_provisioning_points_at_the_dashboards_and_the_datasource_they_use():
    datasources = yaml.safe_load((GRAFANA_DIR / "provisioning/datasources/prometheus.yml").read_text())["datasources"]
    assert [d["uid"] for d in datasources] == ["prometheus"] and datasources[0]["type"] == "prometheus"
    providers = yaml.safe_load((GRAFANA_DIR / "provisioning/dashboards/platform.yml").read_text())["providers"]
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())["services"]["grafana"]
    mounts = dict(v.rsplit(":", 1)[0].split(":", 1) for v in compose["volumes"] if v.startswith("./"))
    assert mounts["./infra/grafana/dashboards"] == providers[0]["options"]["path"]
    assert mounts["./infra/grafana/provisioning"] == "/etc/grafana/provisioning"
    assert compose["environment"]["PROMETHEUS_URL"] == "http://prometheus:9090"
