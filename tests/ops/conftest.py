"""Fixtures of the operations tests."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from shared.settings import REPO_ROOT

PROMETHEUS_DIR = REPO_ROOT / "infra/prometheus"
GRAFANA_DIR = REPO_ROOT / "infra/grafana"


@pytest.fixture(scope="session")
def promtool():
    """Run promtool (Debian package `prometheus`, installed by
    infra/scripts/ensure-tools.sh from `make test`).

    Missing: skipped with the reason on a developer machine where it could
    not be installed; a failure under CI=true, where it must be there.
    """
    path = shutil.which("promtool")
    if path is None:
        message = ("promtool is not installed: run infra/scripts/ensure-tools.sh as root, "
                   "or apt-get install --no-install-recommends prometheus")
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)

    def run(*args: str, cwd: Path = PROMETHEUS_DIR) -> subprocess.CompletedProcess:
        result = subprocess.run([path, *args], cwd=cwd, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"promtool {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result

    return run
