"""`python -m tools.chaos --private` (`make chaos-private`): every experiment
of `make chaos` against servers of the run's own, so that stopping
PostgreSQL or RabbitMQ for a minute breaks nobody else's work.

The run starts, under one temporary directory:

- a PostgreSQL cluster of its own (`initdb`/`pg_ctl` of PG_BIN, port
  PRIVATE_PG_PORT, trust on 127.0.0.1 only), run as the `postgres` user when
  started as root (initdb refuses root);
- one RabbitMQ node of its own (tools/chaos/cluster.py, one node:
  `chaos1@localhost`, AMQP PRIVATE_AMQP_PORT), with the management plugin;
- an SMTP sink (services/notifications/smtp_sink.py) on a free port;
- the platform on them as the test stack runs it (stack/testing.py): the
  bootstrap, every service as a `nameko run` process, the gateway.

The server experiments then stop *those* servers: `pg_ctl stop -m fast` and
`start`, `rabbitmqctl stop_app` and `start_app`, the memory high watermark
set to 1 MB and back; a killed process is started again by the run, as
supervisord would. The machine's PostgreSQL (5432) and RabbitMQ (5672) are
never touched.
"""
from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from shared.keys import write_key_pair
from shared.settings import REPO_ROOT, Settings
from stack.bootstrap import bootstrap
from stack.services import SERVICES
from stack.testing import ServiceProcess, die_with_parent, free_port, service_env, wait_until_answering
from tools.chaos import experiments
from tools.chaos.cluster import Cluster
from tools.chaos.load import admin_headers

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
PRIVATE_PG_PORT = int(os.environ.get("CHAOS_PG_PORT", "5491"))
PRIVATE_AMQP_PORT = int(os.environ.get("CHAOS_AMQP_PORT", "5691"))
MACHINE_PORTS = (5432, 5672)

# As the e-2-e tests and the cluster run: enrolling signs in more often than
# one address may (tests/e2e/conftest.py).
RATE_LIMITS = {"RATE_LIMIT_MEMBER_REQUESTS": "100000", "RATE_LIMIT_MEMBER_WRITES": "100000",
               "RATE_LIMIT_AUTH_REQUESTS": "100000"}
# Screening gets 10 s, as in the cluster run (tools/chaos/on_cluster.py).
SERVICE_ENV = {"moderation": {"SCREENING_BUDGET_SECONDS": "10"}}


class PrivatePostgres:
    """A PostgreSQL cluster of the run's own: initdb into a temporary data
    directory, pg_ctl on its own port and socket directory."""

    def __init__(self, home: Path, port: int = PRIVATE_PG_PORT):
        if port in MACHINE_PORTS:
            raise ValueError(f"port {port} is the machine's own server's")
        self.home, self.port = home, port
        self.data, self.sockets, self.log = home / "data", home / "sockets", home / "postgres.log"
        # initdb refuses root: as root, the servers run as `postgres`.
        self.user = "postgres" if os.geteuid() == 0 else None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}"

    def _as_owner(self, *command: str) -> list[str]:
        return ["runuser", "-u", self.user, "--", *command] if self.user else list(command)

    def _run(self, *command: str, timeout: float = 120) -> None:
        done = subprocess.run(self._as_owner(*command), capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {done.stderr[-2000:]} {self.tail()}")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""

    def init(self) -> "PrivatePostgres":
        self.home.mkdir(parents=True, exist_ok=True)
        self.sockets.mkdir(exist_ok=True)
        if self.user:
            owner = pwd.getpwnam(self.user)
            for path in (self.home, self.sockets):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale", "C.UTF-8")
        return self

    def start(self) -> None:
        # 300 connections: eight services' pools and the gateway's, as on the machine's server.
        options = (f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c max_connections=300 "
                   "-c fsync=off")
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def running(self) -> bool:
        return subprocess.run(self._as_owner(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "status"),
                              capture_output=True).returncode == 0


class PrivateProcesses:
    """The run's service processes and gateway, and its SMTP sink: a killed
    process is started again by the run, as supervisord does under make up."""

    def __init__(self, services: dict[str, ServiceProcess], gateway: "Gateway", sink: "Sink"):
        self.services, self.gateway, self.sink = services, gateway, sink

    def kill(self, name: str) -> None:
        if name == "gateway":
            self.gateway.kill()
        else:
            self.services[name].kill()

    def wait_back(self, name: str, timeout: float = 60.0) -> None:
        if name == "gateway":
            self.gateway.start()
        else:
            self.services[name].start(wait=timeout)

    def stop(self, name: str) -> None:
        assert name == "smtp-sink", name
        self.sink.stop()

    def start(self, name: str) -> None:
        assert name == "smtp-sink", name
        self.sink.start()


class Sink:
    """The SMTP sink on a fixed port, stopped and started again by the SMTP experiment."""

    def __init__(self, directory: Path):
        self.directory, self.port, self.sink = directory, free_port(), None

    def start(self) -> None:
        from services.notifications.smtp_sink import SmtpSink

        self.sink = SmtpSink(self.directory, port=self.port).start()

    def stop(self) -> None:
        if self.sink is not None:
            self.sink.stop()
            self.sink = None


class Gateway:
    """The gateway as a process on one port, so that clients find it again after a kill -9."""

    def __init__(self, settings: Settings, log_dir: Path):
        self.settings, self.log_dir, self.port = settings, log_dir, free_port()
        self.process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        env = service_env(self.settings, "gateway")
        env.update(RATE_LIMITS)
        with open(self.log_dir / "gateway.log", "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gateway", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
        wait_until_answering(f"{self.address}/readyz", self.process, self.log_dir / "gateway.log",
                             "the gateway did not become ready", timeout)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()


def data_team_uri(settings: Settings) -> str:
    """The AMQP URI the data team reads the stream with (its own broker user)."""
    if not settings.data_team_amqp_password:
        return settings.amqp_uri
    parts = urlsplit(settings.amqp_uri.split(";")[0])
    netloc = (f"{quote(settings.data_team_amqp_user, safe='')}:{quote(settings.data_team_amqp_password, safe='')}"
              f"@{parts.hostname}:{parts.port or 5672}")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def server_experiments(postgres: PrivatePostgres, cluster: Cluster) -> list[experiments.Experiment]:
    node = cluster.nodes[0]
    return [
        experiments.server_down("PostgreSQL stopped", postgres.stop, postgres.start),
        experiments.server_down("RabbitMQ stopped", lambda: node.ctl("stop_app"), lambda: node.ctl("start_app")),
        experiments.server_down("broker memory alarm",
                                lambda: node.ctl("set_vm_memory_high_watermark", "absolute", "1MB"),
                                lambda: node.ctl("set_vm_memory_high_watermark", "0.4")),
    ]


def run(base: Settings, *, only: list[str], load_seconds: float, fault_seconds: float, smtp_down_seconds: float,
        rate: float, agency: str, keep_logs: bool = False, report=print) -> list[experiments.Audit]:
    work = Path(tempfile.mkdtemp(prefix="chaos-private-"))
    os.chmod(work, 0o755)  # the postgres user reaches its data directory through it
    postgres = PrivatePostgres(work / "postgres")
    cluster = Cluster(ports=(PRIVATE_AMQP_PORT,), management_ports=(PRIVATE_AMQP_PORT + 10000,),
                      dist_ports=(PRIVATE_AMQP_PORT + 20000,), home=work / "rabbitmq")
    (work / "rabbitmq").mkdir()
    # Named after its port (chaos5691@localhost): two runs on other ports, or a
    # cluster run beside (chaos1..3), must not clash on the node name.
    cluster.nodes[0].number = PRIVATE_AMQP_PORT
    sink = Sink(work / "mail")
    services: dict[str, ServiceProcess] = {}
    gateway: Gateway | None = None
    pseudonym_key = secrets.token_hex(32)
    saved_key = os.environ.get("ANALYTICS_PSEUDONYM_KEY")
    audits: list[experiments.Audit] = []
    try:
        report(f"private PostgreSQL on 127.0.0.1:{postgres.port}, RabbitMQ node {cluster.nodes[0].name} on "
               f"127.0.0.1:{cluster.nodes[0].port}, under {work}")
        postgres.init().start()
        cluster.start()
        sink.start()
        private, public = write_key_pair(work / "keys")
        caller_private, caller_public = write_key_pair(work / "keys", "caller_ed25519")
        settings = base.model_copy(update={
            "amqp_uri": cluster.nodes[0].amqp_uri(),
            "rabbitmq_management_url": cluster.nodes[0].management_url,
            "postgres_url": postgres.url,
            "db_name_prefix": f"chaos{int(time.time())}{uuid.uuid4().hex[:4]}_",
            "jwt_private_key_path": private, "jwt_public_key_path": public,
            "caller_private_key_path": caller_private, "caller_public_key_path": caller_public,
            "data_team_amqp_password": secrets.token_hex(16),
            "outbox_poll_seconds": 0.2,
            "platform_env": "development",
        })
        # The bootstrap (in this process) and every service read the run's pseudonym key.
        os.environ["ANALYTICS_PSEUDONYM_KEY"] = pseudonym_key
        bootstrap(settings)
        mail_env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(sink.port)}
        for name in SERVICES:
            services[name] = ServiceProcess(settings, name, work, {**mail_env, **SERVICE_ENV.get(name, {})}).start(wait=90)
        gateway = Gateway(settings, work)
        gateway.start()
        chosen = [e for e in experiments.full_run(server_experiments(postgres, cluster))
                  if not only or any(o in e.name for o in only)]
        with httpx.Client(base_url=gateway.address, timeout=15) as client:
            chaos = experiments.Chaos(
                client=client, settings=settings, processes=PrivateProcesses(services, gateway, sink),
                admin=admin_headers(client, settings.platform_admin_email, settings.platform_admin_password),
                agency=agency, load_seconds=load_seconds, fault_seconds=fault_seconds,
                smtp_down_seconds=smtp_down_seconds, rate=rate, mail_directory=sink.directory,
                stream_uri=data_team_uri(settings), pseudonym_key=pseudonym_key.encode())
            for experiment in chosen:
                chaos.admin = admin_headers(client, settings.platform_admin_email, settings.platform_admin_password)
                audits.append(experiments.run_experiment(chaos, experiment))
                report(audits[-1].line())
        return audits
    finally:
        if gateway is not None:
            gateway.stop()
        for process in reversed(list(services.values())):
            process.stop()
        sink.stop()
        cluster.stop()
        if postgres.data.exists():
            try:
                postgres.stop()
            except Exception:  # already stopped, or never started
                pass
        if saved_key is None:
            os.environ.pop("ANALYTICS_PSEUDONYM_KEY", None)
        else:
            os.environ["ANALYTICS_PSEUDONYM_KEY"] = saved_key
        if keep_logs:
            report(f"logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
