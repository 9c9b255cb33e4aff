"""pytest fixtures for tests that use the real broker and database.

Each test run gets its own RabbitMQ vhost and its own databases (prefix
`t<run id>_`), declared and migrated like a fresh install, so runs never see
each other's data. Services run as real `nameko run` processes.
"""
import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit

import psycopg
import pytest
import httpx
from psycopg import sql

from shared.db.engine import drop_database
from shared.keys import write_key_pair
from shared.messaging.topology import management_api, vhost_of
from shared.settings import REPO_ROOT, Settings
from stack.bootstrap import bootstrap
from stack.broker_users import delete_user
from stack.db_roles import drop_role
from stack.services import SERVICES


STALE_AFTER_SECONDS = 30 * 60
_RUN_VHOST = re.compile(r"^test-(\d{10})[0-9a-f]{6}$")
_RUN_DATABASE = re.compile(r"^t(\d{10})[0-9a-f]{6}_")
_RUN_USER = re.compile(r"^data-team-(\d{10})[0-9a-f]{6}$")


@pytest.fixture(scope="session")
def run_id() -> str:
    """Starts with the epoch second, so a later run can tell a stale leftover
    (a run killed before its teardown) from a run still going."""
    return new_run_id()


def remove_stale_runs(settings: Settings) -> None:
    """Delete vhosts and databases of test runs older than half an hour that
    nothing uses: leftovers of killed runs slow the broker down."""
    cutoff = time.time() - STALE_AFTER_SECONDS
    try:
        with management_api(settings.rabbitmq_management_url, timeout=120) as api:
            vhosts = api.get("/api/vhosts").json()
            busy = {c["vhost"] for c in api.get("/api/connections").json()}
            for vhost in vhosts:
                match = _RUN_VHOST.match(vhost["name"])
                if match and int(match.group(1)) < cutoff and vhost["name"] not in busy:
                    api.delete(f"/api/vhosts/{quote(vhost['name'], safe='')}")
            for user in api.get("/api/users").json():
                match = _RUN_USER.match(user["name"]) or _RUN_DATABASE.match(user["name"])
                if match and int(match.group(1)) < cutoff:
                    api.delete(f"/api/users/{quote(user['name'], safe='')}")
    except httpx.HTTPError:
        pass  # cleaning up is a courtesy; the run itself does not depend on it
    with psycopg.connect(f"{settings.postgres_url.rstrip('/')}/postgres", autocommit=True) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database d WHERE NOT EXISTS "
            "(SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)"
        ).fetchall()
        for (name,) in rows:
            match = _RUN_DATABASE.match(name)
            if match and int(match.group(1)) < cutoff:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        # The services' roles of those runs (named like their databases).
        for (name,) in conn.execute("SELECT rolname FROM pg_roles").fetchall():
            match = _RUN_DATABASE.match(name)
            if match and int(match.group(1)) < cutoff:
                with contextlib.suppress(psycopg.Error):  # still granted on a database in use
                    conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def base_settings() -> Settings:
    return Settings()


def new_run_id() -> str:
    return f"{int(time.time())}{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="session")
def rabbit_vhost(base_settings, run_id):
    """A throwaway vhost; yields its AMQP URI."""
    remove_stale_runs(base_settings)
    with throwaway_vhost(base_settings, run_id) as uri:
        yield uri


@contextmanager
def throwaway_vhost(base_settings: Settings, run_id: str):
    """A vhost of its own for `run_id`, deleted on exit; yields its AMQP URI."""
    vhost = f"test-{run_id}"
    q = quote(vhost, safe="")
    # Creating a vhost can take a while on a busy broker (many quorum queues).
    with management_api(base_settings.rabbitmq_management_url, timeout=120) as api:
        api.put(f"/api/vhosts/{q}").raise_for_status()
        user = urlsplit(base_settings.rabbitmq_management_url).username or "guest"
        api.put(f"/api/permissions/{q}/{user}", json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    parts = urlsplit(base_settings.amqp_uri)
    yield f"{parts.scheme}://{parts.netloc}/{q}"
    with management_api(base_settings.rabbitmq_management_url, timeout=120) as api:
        api.delete(f"/api/vhosts/{q}")


@pytest.fixture(scope="session")
def jwt_keys(tmp_path_factory) -> tuple[Path, Path]:
    return write_key_pair(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="session")
def caller_keys(tmp_path_factory) -> tuple[Path, Path]:
    """The pair signing the caller context of RPCs (the gateway's)."""
    return write_key_pair(tmp_path_factory.mktemp("caller-keys"), "caller_ed25519")


@pytest.fixture(scope="session")
def settings(base_settings, rabbit_vhost, run_id, jwt_keys, caller_keys) -> Settings:
    return run_settings(base_settings, rabbit_vhost, run_id, jwt_keys, caller_keys)


def run_settings(base_settings: Settings, amqp_uri: str, run_id: str, jwt_keys: tuple[Path, Path],
                 caller_keys: tuple[Path, Path]) -> Settings:
    """The settings of a test run: its vhost, its databases, its keys."""
    private, public = jwt_keys
    return base_settings.model_copy(
        update={
            "amqp_uri": amqp_uri,
            "db_name_prefix": f"t{run_id}_",
            "jwt_private_key_path": private,
            "jwt_public_key_path": public,
            "caller_private_key_path": caller_keys[0],
            "caller_public_key_path": caller_keys[1],
            # Users are the broker's, not the vhost's: one per run.
            "data_team_amqp_user": f"data-team-{run_id}",
            "data_team_amqp_password": uuid.uuid4().hex,
            # Each service's and the gateway's own broker user (named like
            # its database role, so one per run too), with a password of its own.
            "amqp_passwords": {name: uuid.uuid4().hex for name in (*SERVICES, "gateway")},
            "outbox_poll_seconds": 0.2,
            "platform_env": "development",
            # Short, so tests of a replayed refresh token wait little past it.
            "refresh_reuse_grace_seconds": 2,
        }
    )


@pytest.fixture(scope="session")
def platform(settings):
    """A fresh install, as `make up` makes it: databases created and migrated,
    topology declared, pilot data seeded."""
    with installed(settings):
        yield settings


@contextmanager
def installed(settings: Settings):
    """The platform installed for `settings`; its databases dropped on exit."""
    bootstrap(settings)
    try:
        yield settings
    finally:
        for name in (*SERVICES, "gateway"):
            drop_database(settings, name)
        for name in (*SERVICES, "gateway"):
            drop_role(settings, name)
        delete_user(settings, settings.data_team_amqp_user)
        for name in (*SERVICES, "gateway"):
            delete_user(settings, settings.broker_user(name))


def service_env(settings: Settings, service: str | None = None) -> dict:
    """Environment of a platform process pointed at this test run. A service
    of the platform and the gateway connect as their own broker user, as
    `make up`, compose and Kubernetes run them (stack/broker_users.py), and
    get no admin address of the management API; anything else (tools,
    probes) as the run's admin user."""
    env = dict(os.environ)
    # A multiprocess metrics directory belongs to one gateway's workers, never to another process.
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(
        {
            "PYTHONPATH": str(REPO_ROOT),
            "PSYCOPG_WAIT_FUNC": "wait_select",
            "AMQP_URI": settings.amqp_uri,
            "RABBITMQ_MANAGEMENT_URL": settings.rabbitmq_management_url,
            "POSTGRES_URL": settings.postgres_url,
            "DB_NAME_PREFIX": settings.db_name_prefix,
            "JWT_PRIVATE_KEY_PATH": str(settings.jwt_private_key_path),
            "JWT_PUBLIC_KEY_PATH": str(settings.jwt_public_key_path),
            "CALLER_PRIVATE_KEY_PATH": str(settings.caller_private_key_path),
            "CALLER_PUBLIC_KEY_PATH": str(settings.caller_public_key_path),
            "OUTBOX_POLL_SECONDS": str(settings.outbox_poll_seconds),
            "EVENT_MAX_DELIVERIES": str(settings.event_max_deliveries),
            "EVENT_REDELIVERY_LIMIT": str(settings.event_redelivery_limit),
            "REFRESH_REUSE_GRACE_SECONDS": str(settings.refresh_reuse_grace_seconds),
            "PLATFORM_ADMIN_EMAIL": settings.platform_admin_email,
            "PLATFORM_ADMIN_PASSWORD": settings.platform_admin_password,
            "PLATFORM_ENV": settings.platform_env,
            "METRICS_PORT": "0",
        }
    )
    if service:
        env["SERVICE_NAME"] = service
    if service in SERVICES or service == "gateway":
        env["AMQP_URI"] = settings.service_amqp_uri(service)
        del env["RABBITMQ_MANAGEMENT_URL"]
    return env


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on now (for a process a test starts)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_until_answering(url: str, proc: subprocess.Popen, log_path: Path, failure: str,
                         timeout: float = 30.0) -> None:
    """Poll `url` until it answers 200; if the process ends or the time runs
    out, kill it and raise with `failure` and the tail of its log."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"{failure}:\n{log_path.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)


def die_with_parent() -> None:
    """Run in a child before exec: the kernel sends it SIGTERM when the test
    process dies, even killed, so no orphaned service keeps hammering the
    broker of a deleted vhost."""
    from stack.launch import die_with_parent as ask_the_kernel

    ask_the_kernel()


def queue_consumers(settings: Settings, queue: str) -> int:
    """Live consumer count (the management API's figures lag by seconds)."""
    from amqp.exceptions import NotFound
    from kombu import Connection

    with Connection(settings.amqp_uri) as conn:
        try:
            return conn.channel().queue_declare(queue, passive=True).consumer_count
        except NotFound:
            return 0


class ServiceProcess:
    """A real `nameko run` of one service, started and stopped by a test."""

    def __init__(self, settings: Settings, service: str, log_dir: Path, extra_env: dict | None = None, module: str | None = None):
        self.settings = settings
        self.service = service
        self.module = module or SERVICES[service].split(":")[0]
        self.log_path = log_dir / f"{service}.log"
        self.extra_env = extra_env or {}
        self.proc: subprocess.Popen | None = None

    def start(self, wait: float = 30.0) -> "ServiceProcess":
        env = service_env(self.settings, self.service)
        env.update(self.extra_env)
        nameko = shutil.which("nameko", path=str(Path(sys.executable).parent)) or "nameko"
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [nameko, "run", "--config", str(REPO_ROOT / "infra/nameko.yaml"), self.module],
            cwd=REPO_ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
        deadline = time.monotonic() + wait
        while queue_consumers(self.settings, f"rpc-{self.service}") < 1:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.service} exited: {self.log_path.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                self.kill()
                raise TimeoutError(f"{self.service} did not start: {self.log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        return self

    def kill(self) -> None:
        """SIGKILL: a crash, no clean shutdown."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if self.proc:
            self.log.close()

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")


def purge_event_queues(settings: Settings) -> int:
    """Empty every event queue of the run's vhost; returns the messages dropped.

    Events published while a service was not running wait in its queues (the
    broker keeps them, as it must): over a whole session, the members every
    module makes leave thousands in identity's. A module that starts the
    service would have it drain them first, its RPCs waiting for a worker.
    Modules are independent: each starts from empty event queues."""
    vhost = quote(vhost_of(settings.amqp_uri), safe="")
    dropped = 0
    with management_api(settings.rabbitmq_management_url, timeout=60) as api:
        for queue in api.get(f"/api/queues/{vhost}", params={"columns": "name,messages"}).json():
            if queue["name"].startswith("evt-") and queue.get("messages"):
                api.delete(f"/api/queues/{vhost}/{quote(queue['name'], safe='')}/contents").raise_for_status()
                dropped += queue["messages"]
    return dropped


@pytest.fixture(scope="module")
def start_service(platform, tmp_path_factory):
    """Start real service processes, stopped when the test module ends
    (starting a nameko process takes seconds: modules share them). The
    module starts from empty event queues (purge_event_queues)."""
    purge_event_queues(platform)
    started: list[ServiceProcess] = []
    log_dir = tmp_path_factory.mktemp("service-logs")

    def start(service: str, module: str | None = None, **extra_env) -> ServiceProcess:
        env = {k: str(v) for k, v in extra_env.items()}
        proc = ServiceProcess(platform, service, log_dir, env, module).start()
        started.append(proc)
        return proc

    yield start
    for proc in reversed(started):
        proc.stop()


def db_connect(settings: Settings, service: str) -> psycopg.Connection:
    return psycopg.connect(f"{settings.postgres_url.rstrip('/')}/{settings.database_name(service)}", autocommit=True)


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


@pytest.fixture
def rpc(platform):
    """`rpc(caller=None)`: a nameko standalone RPC proxy on this run's vhost,
    calling as `caller` (a dict with id, role, agency_code, and optionally
    the session_id of its login) when given, signed as the gateway signs it
    (one token for every service: a proxy calls any of them)."""
    from nameko.standalone.rpc import ClusterRpcProxy

    from shared.caller_token import CallerSigner

    # Longer than the gateway's minute: a test may hold its proxy a while.
    signer = CallerSigner.from_file(platform.caller_private_key_path, ttl_seconds=600)
    proxies = []

    def open_proxy(caller: dict | None = None, timeout: float = 15):
        context = {"correlation_id": uuid.uuid4().hex}
        if caller:
            context.update(
                caller_id=caller["id"], caller_role=caller["role"], caller_agency=caller.get("agency_code") or ""
            )
            if caller.get("session_id"):
                context["caller_session"] = caller["session_id"]
        context = signer.sign_context(context, audience=list(SERVICES))
        proxy = ClusterRpcProxy({"AMQP_URI": platform.amqp_uri, "serializer": "json"}, context_data=context, timeout=timeout)
        proxies.append(proxy)
        return proxy.start()

    yield open_proxy
    for proxy in proxies:
        proxy.stop()


@contextlib.contextmanager
def database_refusing_connections(settings: Settings, service: str):
    """The service's database refuses every connection, and the ones open
    are cut, as during a PostgreSQL restart or failover; back on exit."""
    name = settings.database_name(service)
    with psycopg.connect(f"{settings.postgres_url.rstrip('/')}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(sql.Identifier(name)))
        try:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            yield
        finally:
            conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(sql.Identifier(name)))
