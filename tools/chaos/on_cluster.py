"""`python -m tools.chaos --cluster` (`make chaos-cluster`): the platform on a
three-node RabbitMQ cluster started on this machine, one node SIGKILLed under
write load and restarted, and the ledger's audit (docs/chaos.md).

The platform runs as the test stack runs it (stack/testing.py): its own
databases (prefix `chaos<run>_`), every service as a `nameko run` process and
the gateway as a process, all given the three nodes' addresses. The killed
node is the first one, the one every client connected to first: they must
all move to the others. The management API (topology policies, the poison
experiment's queue count) is read on the third node, which stays up.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from shared.db.engine import drop_database
from shared.keys import write_key_pair
from shared.settings import REPO_ROOT, Settings
from stack.bootstrap import bootstrap
from stack.services import SERVICES
from stack.testing import ServiceProcess, die_with_parent, free_port, service_env, wait_until_answering
from tools.chaos import experiments
from tools.chaos.cluster import Cluster
from tools.chaos.load import admin_headers

KILLED_NODE = 1
# As the e2e tests: enrolling the members of a run signs in more often than
# the limits let one address do (tests/e2e/conftest.py).
RATE_LIMITS = {"RATE_LIMIT_MEMBER_REQUESTS": "100000", "RATE_LIMIT_MEMBER_WRITES": "100000",
               "RATE_LIMIT_AUTH_REQUESTS": "100000"}

# Screening gets more than its 1 s: on a machine busy with four Python
# processes per core a text can wait that long for the CPU, and is then held
# for a person (tests/integration/test_moderation_screening_budget.py), which
# the ledger would count as stuck although the broker had nothing to do with it.
SERVICE_ENV = {"moderation": {"SCREENING_BUDGET_SECONDS": "10"}}


def node_killed(cluster: Cluster, number: int = KILLED_NODE) -> experiments.Experiment:
    """SIGKILL of one node's Erlang VM, `fault_seconds` down, restarted on its
    data; counts the writes accepted while it was down."""

    def inject(chaos: experiments.Chaos) -> int:
        before = chaos.ledger.accepted()
        cluster.kill(number)
        try:
            time.sleep(chaos.fault_seconds)
            chaos.accepted_during_fault = chaos.ledger.accepted() - before
        finally:
            cluster.restart(number)
        return 0

    return experiments.Experiment(f"cluster node {number} killed", inject, lambda chaos: chaos.fault_seconds + 30)


def platform_settings(cluster: Cluster, base: Settings, keys_dir: Path) -> Settings:
    private, public = write_key_pair(keys_dir)
    return base.model_copy(update={
        "amqp_uri": cluster.amqp_uri(),
        "rabbitmq_management_url": cluster.nodes[-1].management_url,
        "db_name_prefix": f"chaos{int(time.time())}{uuid.uuid4().hex[:4]}_",
        "jwt_private_key_path": private,
        "jwt_public_key_path": public,
        "outbox_poll_seconds": 0.2,
        "platform_env": "development",
    })


def start_gateway(settings: Settings, log_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = service_env(settings, "gateway")
    env.update(RATE_LIMITS)
    with open(log_dir / "gateway.log", "ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "gateway", "--host", "127.0.0.1", "--port", str(port)],
                                   cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   preexec_fn=die_with_parent)
    base = f"http://127.0.0.1:{port}"
    wait_until_answering(f"{base}/readyz", process, log_dir / "gateway.log", "the gateway did not become ready",
                         timeout=60)
    return process, base


def run(base: Settings, *, load_seconds: float, fault_seconds: float, rate: float, agency: str,
        keep_logs: bool = False) -> tuple[experiments.Audit, dict[str, int]]:
    """The experiment's audit, and the quorum queues that were not replicated
    on every node after the bootstrap (none expected)."""
    work = Path(tempfile.mkdtemp(prefix="chaos-cluster-run-"))
    processes: list[ServiceProcess] = []
    gateway: subprocess.Popen | None = None
    cluster = Cluster()
    settings = None
    try:
        print(f"starting RabbitMQ nodes {', '.join(n.name for n in cluster.nodes)} under {cluster.home}", flush=True)
        cluster.start()
        settings = platform_settings(cluster, base, work)
        bootstrap(settings)
        replicas = cluster.quorum_members("/")
        short = {name: n for name, n in replicas.items() if n < len(cluster.nodes)}
        print(f"{len(replicas)} quorum queues, {'each on all three nodes' if not short else f'short: {short}'}",
              flush=True)
        for name in SERVICES:
            processes.append(ServiceProcess(settings, name, work, {"METRICS_PORT": "0", **SERVICE_ENV.get(name, {})})
                             .start(wait=60))
        gateway, address = start_gateway(settings, work)
        with httpx.Client(base_url=address, timeout=15) as client:
            chaos = experiments.Chaos(
                client=client, settings=settings, processes=None,
                admin=admin_headers(client, settings.platform_admin_email, settings.platform_admin_password),
                agency=agency, load_seconds=load_seconds, fault_seconds=fault_seconds, rate=rate)
            return experiments.run_experiment(chaos, node_killed(cluster)), short
    finally:
        if gateway is not None:
            gateway.terminate()
            gateway.wait(15)
        for process in reversed(processes):
            process.stop()
        cluster.stop()
        if settings is not None:
            for name in (*SERVICES, "gateway"):
                drop_database(settings, name)
        if keep_logs:
            print(f"logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
