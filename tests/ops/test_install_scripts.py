"""infra/scripts/ensure-servers.sh and ensure-tools.sh decide what a fresh
machine gets. Their decisions are checked on a fake machine: a PATH holding
only the ordinary tools and stubs of apt-get, pg_ctlcluster, rabbitmq-server...
that record their calls (and, once "installed", start fake servers on free
ports), so the machine's own PostgreSQL and RabbitMQ are never touched. The
version check also runs against the real broker."""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from stack.testing import free_port

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "infra/scripts"

# The real tools the scripts may use; everything else is missing or a stub.
REAL_TOOLS = ["bash", "sh", "sed", "grep", "cat", "timeout", "sleep", "curl", "hostname", "chmod",
              "rm", "env", "pgrep", "kill", "ls", "sort", "tail", "dirname", "basename", "mkdir",
              "touch", "cp"]

# A fake server: plain TCP, or (with a version) a management API's /api/overview.
FAKE_SERVER = r'''
import http.server, json, socket, sys
port, version = int(sys.argv[1]), (sys.argv[2] if len(sys.argv) > 2 else None)
if version is None:
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port)); s.listen()
    while True:
        s.accept()[0].close()
class Overview(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"rabbitmq_version": version, "management_version": version}).encode()
        self.send_response(200 if self.path.startswith("/api/overview") else 404)
        self.send_header("Content-Type", "application/json"); self.end_headers(); self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", port), Overview).serve_forever()
'''

# Every stub logs its name and arguments to $FAKE/calls.log.
LOG = 'echo "$(basename "$0") $*" >> "$FAKE/calls.log"\n'
START = 'python3 "$FAKE/fake_server.py" {args} </dev/null >/dev/null 2>&1 & echo $! >> "$FAKE/pids"\n'

# What each Debian package brings, as stubs (name -> body).
PACKAGES = {
    "postgresql": {
        "pg_lsclusters": 'state=$(cat "$FAKE/pg_state" 2>/dev/null || echo down)\n'
                         'echo "15 main $PG_PORT $state postgres /var/lib/postgresql/15/main /var/log/postgresql.log"\n',
        "pg_ctlcluster": LOG + 'if [ "${4:-}" = start ]; then echo online > "$FAKE/pg_state"; '
                         + START.format(args="$PG_PORT").strip() + '; fi\n',
        "pg_conftool": 'echo "$FAKE/pg_hba.conf"\n',
    },
    "rabbitmq-server": {
        "rabbitmq-server": LOG + START.format(args="$AMQP_PORT"),
        "rabbitmq-plugins": LOG + START.format(args="$MGMT_PORT $FAKE_RABBITMQ_VERSION"),
    },
    "curl": {},
    "prometheus": {"promtool": "exit 0\n"},
    "chromium": {"chromium": "exit 0\n"},
    "prometheus-postgres-exporter": {"prometheus-postgres-exporter": "exit 0\n"},
}

APT_GET = LOG + '''
# Record whether Debian may start daemons during the install (policy-rc.d).
[ "$1" = install ] && echo "policy: $(cat "$POLICY_RC_D" 2>/dev/null | tail -1)" >> "$FAKE/calls.log"
[ "$1" = install ] || exit 0
for pkg in "$@"; do
  [ -d "$FAKE/packages/$pkg" ] && cp "$FAKE/packages/$pkg"/* "$FAKE/bin/" 2>/dev/null
done
exit 0
'''


class FakeMachine:
    def __init__(self, root: Path):
        self.root = root
        self.bin = root / "bin"
        self.bin.mkdir()
        for tool in REAL_TOOLS:
            (self.bin / tool).symlink_to(shutil.which(tool))
        # The fake servers' interpreter: this one (a pyenv shim would need pyenv on PATH).
        (self.bin / "python3").symlink_to(os.path.realpath(sys.executable))
        (root / "fake_server.py").write_text(FAKE_SERVER)
        (root / "pg_hba.conf").write_text("host    all    all    127.0.0.1/32    scram-sha-256\n")
        self.ports = {"PG_PORT": free_port(), "AMQP_PORT": free_port(), "MGMT_PORT": free_port()}
        for package, stubs in PACKAGES.items():
            folder = root / "packages" / package
            folder.mkdir(parents=True)
            for name, body in stubs.items():
                self._script(folder / name, body)
        self._script(self.bin / "apt-get", APT_GET)
        self._script(self.bin / "apt-cache", "exit 0\n")
        self._script(self.bin / "id", 'echo "$FAKE_UID"\n')
        self._script(self.bin / "systemctl", LOG + '[ "$1" = is-enabled ]\n')
        self.root_user = True

    @staticmethod
    def _script(path: Path, body: str):
        path.write_text("#!/bin/sh\n" + body)
        path.chmod(0o755)

    def install(self, package: str):
        """As if the Debian package were installed already."""
        for stub in (self.root / "packages" / package).iterdir():
            shutil.copy(stub, self.bin / stub.name)

    def start(self, port: int, *args: str):
        """A fake server running already: answering before this returns."""
        subprocess.run(["sh", "-c", START.format(args=" ".join([str(port), *args]))],
                       env={**os.environ, "FAKE": str(self.root)}, check=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                assert time.monotonic() < deadline, f"the fake server on port {port} did not start"
                time.sleep(0.1)

    def servers_running(self, rabbitmq_version: str):
        """Both servers installed and answering, the broker at that version."""
        self.install("postgresql")
        self.install("rabbitmq-server")
        self.start(self.ports["PG_PORT"])
        self.start(self.ports["AMQP_PORT"])
        self.start(self.ports["MGMT_PORT"], rabbitmq_version)

    def run(self, script: str, *args: str, **env: str) -> subprocess.CompletedProcess:
        return self._run(["bash", str(SCRIPTS / script), *args], **env)

    def run_bash(self, command: str) -> subprocess.CompletedProcess:
        return self._run(["bash", "-c", command])

    def _run(self, argv: list[str], **env: str) -> subprocess.CompletedProcess:
        p = self.ports
        environment = {
            "PATH": str(self.bin), "HOME": str(self.root), "FAKE": str(self.root),
            "FAKE_UID": "0" if self.root_user else "1000", "FAKE_RABBITMQ_VERSION": "3.10.8",
            "POLICY_RC_D": str(self.root / "policy-rc.d"), "ENSURE_SERVERS_TIMEOUT": "30",
            "POSTGRES_URL": f"postgresql://postgres@127.0.0.1:{p['PG_PORT']}",
            "AMQP_URI": f"amqp://guest:guest@127.0.0.1:{p['AMQP_PORT']}/",
            "RABBITMQ_MANAGEMENT_URL": f"http://guest:guest@127.0.0.1:{p['MGMT_PORT']}",
            **{k: str(v) for k, v in p.items()}, **env,
        }
        return subprocess.run(argv, env=environment,
                              capture_output=True, text=True, timeout=120)

    def calls(self) -> list[str]:
        log = self.root / "calls.log"
        return log.read_text().splitlines() if log.exists() else []

    def stop(self):
        pids = self.root / "pids"
        for pid in pids.read_text().split() if pids.exists() else []:
            try:
                os.kill(int(pid), 15)
            except ProcessLookupError:
                pass


@pytest.fixture
def machine(tmp_path):
    fake = FakeMachine(tmp_path)
    yield fake
    fake.stop()


def apt_installs(machine: FakeMachine) -> list[str]:
    return [c for c in machine.calls() if c.startswith("apt-get install")]


# --- ensure-servers.sh --------------------------------------------------------

def test_as_root_a_fresh_machine_gets_both_servers_installed_started_and_checked(machine):
    result = machine.run("ensure-servers.sh")

    assert result.returncode == 0, result.stdout + result.stderr
    calls = machine.calls()
    assert apt_installs(machine) == [
        "apt-get install -y -qq --no-install-recommends postgresql",
        "apt-get install -y -qq --no-install-recommends rabbitmq-server curl",
    ]
    # Debian may not start them itself: the script starts them, the same way with or without systemd.
    assert calls.count("policy: exit 101") == 2
    assert not (machine.root / "policy-rc.d").exists()
    assert "pg_ctlcluster --skip-systemctl-redirect 15 main start" in calls
    assert "rabbitmq-server -detached" in calls
    assert "rabbitmq-plugins -q enable rabbitmq_management rabbitmq_prometheus rabbitmq_stream" in calls
    assert "version 3.10.8" in result.stdout
    # The new cluster takes the default password-less POSTGRES_URL, from this machine only.
    hba = (machine.root / "pg_hba.conf").read_text().splitlines()
    assert [line.split() for line in hba[1:3]] == [["host", "all", "all", "127.0.0.1/32", "trust"],
                                                   ["host", "all", "all", "::1/128", "trust"]]
    assert "scram-sha-256" in hba[3]


def test_without_root_nothing_is_installed_and_the_message_says_exactly_what_to(machine):
    machine.root_user = False

    result = machine.run("ensure-servers.sh")

    assert result.returncode == 1
    assert apt_installs(machine) == []
    assert "sudo apt-get install postgresql\n" in result.stderr
    assert "sudo apt-get install rabbitmq-server curl\n" in result.stderr
    assert "needs root or password-less sudo" in result.stderr


def test_installed_but_stopped_servers_are_started_without_apt_and_their_logins_untouched(machine):
    machine.install("postgresql")
    machine.install("rabbitmq-server")

    result = machine.run("ensure-servers.sh")

    assert result.returncode == 0, result.stdout + result.stderr
    assert apt_installs(machine) == []
    assert "pg_ctlcluster --skip-systemctl-redirect 15 main start" in machine.calls()
    assert "rabbitmq-server -detached" in machine.calls()
    assert "trust" not in (machine.root / "pg_hba.conf").read_text()


def test_a_remote_server_that_does_not_answer_is_neither_installed_nor_started(machine):
    result = machine.run("ensure-servers.sh", POSTGRES_URL="postgresql://postgres@192.0.2.1:5432")

    assert result.returncode == 1
    assert "postgresql" not in " ".join(apt_installs(machine))
    assert "it is not on this machine" in result.stderr


@pytest.mark.parametrize("version", ["3.9.29", "4.0.5"])
def test_a_broker_outside_the_supported_versions_is_refused_with_what_to_do(machine, version):
    machine.servers_running(rabbitmq_version=version)

    refused = machine.run("ensure-servers.sh")
    allowed = machine.run("ensure-servers.sh", RABBITMQ_ALLOW_UNSUPPORTED="1")

    assert refused.returncode == 1
    assert f"version {version}; the platform is proven on\n  RabbitMQ 3.10 to 3.13 only" in refused.stderr
    assert "sudo apt-get install rabbitmq-server" in refused.stderr
    assert "RABBITMQ_ALLOW_UNSUPPORTED=1" in refused.stderr
    assert allowed.returncode == 0, allowed.stderr
    assert f"version {version}" in allowed.stdout


@pytest.mark.parametrize("version", ["3.10.8", "3.11.0", "3.12.14", "3.13.7"])
def test_every_supported_version_is_accepted(machine, version):
    machine.servers_running(rabbitmq_version=version)

    result = machine.run("ensure-servers.sh")

    assert result.returncode == 0, result.stderr
    assert apt_installs(machine) == [] and "rabbitmq-plugins" not in " ".join(machine.calls())


def test_the_real_broker_is_read_and_its_version_supported():
    management = os.environ.get("RABBITMQ_MANAGEMENT_URL", "http://guest:guest@127.0.0.1:15672")
    request = urllib.request.Request(management.replace("guest:guest@", "") + "/api/overview")
    request.add_header("Authorization", "Basic Z3Vlc3Q6Z3Vlc3Q=")  # guest:guest, the default
    version = json.load(urllib.request.urlopen(request, timeout=10))["rabbitmq_version"]

    result = subprocess.run(["bash", str(SCRIPTS / "ensure-servers.sh")], capture_output=True,
                            text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    assert f"version {version} " in result.stdout


# --- ensure-tools.sh ----------------------------------------------------------

def test_as_root_a_missing_test_tool_is_installed_without_its_daemon(machine):
    result = machine.run("ensure-tools.sh", "test")

    assert result.returncode == 0, result.stderr
    assert apt_installs(machine) == [
        "apt-get install -y -qq --no-install-recommends prometheus",
        "apt-get install -y -qq --no-install-recommends chromium",
    ]
    assert "policy: exit 101" in machine.calls()
    assert "systemctl disable --now prometheus" in machine.calls()
    assert "promtool: ok" in result.stdout


def test_make_up_gets_the_postgres_exporter_the_same_way(machine):
    result = machine.run("ensure-tools.sh", "up")

    assert result.returncode == 0, result.stderr
    assert apt_installs(machine) == ["apt-get install -y -qq --no-install-recommends prometheus-postgres-exporter"]
    assert "systemctl disable --now prometheus-postgres-exporter" in machine.calls()


def test_without_root_a_missing_tool_is_named_and_ci_fails_on_it(machine):
    machine.root_user = False

    developer = machine.run("ensure-tools.sh", "test")
    ci = machine.run("ensure-tools.sh", "test", CI="true")

    assert developer.returncode == 0
    assert "sudo apt-get install --no-install-recommends prometheus" in developer.stderr
    assert ci.returncode == 1
    assert apt_installs(machine) == []


def test_an_installed_tool_is_left_alone(machine):
    machine.install("prometheus")
    machine.install("chromium")

    result = machine.run("ensure-tools.sh", "test")

    assert result.returncode == 0
    assert machine.calls() == []


def test_a_daemon_that_a_tool_package_starts_anyway_is_stopped_and_only_that_one(machine):
    """A policy of the machine's own may let a package start its daemon; the
    daemon is named after the package, a name longer than the 15 characters
    that the kernel keeps of a process name."""
    package = "fake-daemon-of-a-tool"
    daemon = machine.root / "packages" / package / package
    daemon.parent.mkdir()
    machine._script(daemon, "while :; do sleep 1; done\n")
    running_before = subprocess.Popen([str(daemon)])
    (machine.bin / "apt-get").write_text((machine.bin / "apt-get").read_text().replace(
        "exit 0\n", f'[ "$1" = install ] && {{ "{daemon}" </dev/null >/dev/null 2>&1 & echo $! > "$FAKE/started"; echo $! >> "$FAKE/pids"; }}\nexit 0\n', 1))
    try:
        result = machine.run_bash(f"source {SCRIPTS / 'apt.sh'}; apt_install_tool {package}")
        started = int((machine.root / "started").read_text())

        assert result.returncode == 0, result.stderr
        assert f"{package}: the package started its daemon (pid {started}); stopping it" in result.stderr
        assert running_before.poll() is None
    finally:
        running_before.kill()
        running_before.wait()


def test_the_postgres_exporter_that_make_up_runs_answers_the_scrape_target():
    """infra/prometheus/postgres-exporter.sh, as supervisord runs it, against the real PostgreSQL."""
    if shutil.which("prometheus-postgres-exporter") is None:
        pytest.skip("prometheus-postgres-exporter is not installed (make up installs it: infra/scripts/ensure-tools.sh up)")
    address = f"127.0.0.1:{free_port()}"
    exporter = subprocess.Popen([str(REPO / "infra/prometheus/postgres-exporter.sh")],
                                env={**os.environ, "POSTGRES_EXPORTER_ADDRESS": address},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        metrics = ""
        for _ in range(60):
            try:
                metrics = urllib.request.urlopen(f"http://{address}/metrics", timeout=5).read().decode()
                if "\npg_up " in metrics:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        assert "\npg_up 1\n" in metrics
    finally:
        exporter.terminate()
        exporter.wait(timeout=10)
