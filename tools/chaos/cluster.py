"""A three-node RabbitMQ cluster on this machine, for the cluster experiment
(`python -m tools.chaos --cluster`, docs/chaos.md).

Each node is a separate `rabbitmq-server` with its own node name, ports and
data under one temporary directory; the machine's own broker (rabbit@…,
5672) is never touched. The nodes share an Erlang cookie through HOME (the
server and the CLI tools both read `$HOME/.erlang.cookie`) and read an
env file of their own, not /etc/rabbitmq/rabbitmq-env.conf, whose NODENAME
is the machine broker's.
"""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx

# Debian's scripts themselves: /usr/sbin/rabbitmq-server would switch to the
# rabbitmq user, which cannot read a root-owned temporary directory.
RABBITMQ_BIN = Path(os.environ.get("RABBITMQ_BIN", "/usr/lib/rabbitmq/bin"))


@dataclass
class Node:
    number: int
    port: int
    management_port: int
    dist_port: int
    home: Path
    process: subprocess.Popen | None = None

    @property
    def name(self) -> str:
        return f"chaos{self.number}@localhost"

    @property
    def base(self) -> Path:
        return self.home / f"chaos{self.number}"

    def amqp_uri(self, vhost: str = "/", user: str = "guest", password: str = "guest") -> str:
        return f"amqp://{user}:{password}@127.0.0.1:{self.port}/{quote(vhost, safe='')}"

    @property
    def management_url(self) -> str:
        return f"http://guest:guest@127.0.0.1:{self.management_port}"

    @property
    def pid_file(self) -> Path:
        return self.base / "beam.pid"

    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))}
        env.update({
            "HOME": str(self.home),
            "RABBITMQ_CONF_ENV_FILE": str(self.home / "rabbitmq-env.conf"),
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq.conf"),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_PID_FILE": str(self.pid_file),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.home / "enabled_plugins"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        })
        return env

    def write_config(self) -> None:
        (self.base / "log").mkdir(parents=True, exist_ok=True)
        (self.base / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{self.port}\n"
            f"management.tcp.ip = 127.0.0.1\n"
            f"management.tcp.port = {self.management_port}\n"
            # The machine's own broker keeps the default stream and prometheus
            # ports; these nodes enable neither plugin (a stream queue is core).
            "loopback_users.guest = true\n"
            # Laptops and CI runners have small disks: the default 50 MB limit
            # would block publishers for reasons that are not the experiment's.
            "disk_free_limit.absolute = 10MB\n"
        )

    def ctl(self, *args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([str(RABBITMQ_BIN / "rabbitmqctl"), "-n", self.name, *args], env=self.env(),
                              capture_output=True, text=True, timeout=timeout, check=check)

    def start(self) -> None:
        log = open(self.base / "log" / "console.log", "ab")
        self.process = subprocess.Popen([str(RABBITMQ_BIN / "rabbitmq-server")], env=self.env(), cwd=self.base,
                                        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()

    def await_startup(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.console_tail()}")
            done = self.ctl("await_startup", "--timeout", "10", timeout=30, check=False)
            if done.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} did not start: {done.stderr[-2000:]} {self.console_tail()}")
            time.sleep(1)

    def console_tail(self) -> str:
        path = self.base / "log" / "console.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def kill(self) -> None:
        """SIGKILL of the node's Erlang VM: a crash, no clean shutdown."""
        os.kill(int(self.pid_file.read_text().strip()), signal.SIGKILL)
        if self.process is not None:
            self.process.wait(30)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if not self.running():
            return
        self.ctl("shutdown", timeout=60, check=False)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


class Cluster:
    """Three nodes, chaos1..3@localhost, AMQP on 5681-5683, management on
    15681-15683, distribution on 25681-25683 (override with `ports`)."""

    def __init__(self, ports: tuple[int, ...] = (5681, 5682, 5683), management_ports: tuple[int, ...] = (15681, 15682, 15683),
                 dist_ports: tuple[int, ...] = (25681, 25682, 25683), home: Path | None = None):
        self.home = home or Path(tempfile.mkdtemp(prefix="chaos-cluster-"))
        self.nodes = [Node(n + 1, port, management, dist, self.home)
                      for n, (port, management, dist) in enumerate(zip(ports, management_ports, dist_ports))]

    def amqp_uri(self, vhost: str = "/", user: str = "guest", password: str = "guest") -> str:
        """Every node's address, `;`-separated: kombu (hence nameko) and the
        gateway's failover connections (gateway/broker.py) take the next
        one when a node goes away."""
        return ";".join(node.amqp_uri(vhost, user, password) for node in self.nodes)

    def start(self) -> "Cluster":
        # A run killed before it stopped its nodes leaves them running (they
        # are in a session of their own): say so rather than fail obscurely.
        for node in self.nodes:
            for port in (node.port, node.management_port, node.dist_port):
                with socket.socket() as probe:
                    if probe.connect_ex(("127.0.0.1", port)) == 0:
                        raise RuntimeError(f"port {port} is taken (a chaos node left by an earlier run? "
                                           f"`ss -ltnp 'sport = :{port}'` names its process)")
        cookie = self.home / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(20))
        cookie.chmod(0o400)
        (self.home / "rabbitmq-env.conf").write_text("# the chaos cluster's nodes: everything comes from the environment\n")
        (self.home / "enabled_plugins").write_text("[rabbitmq_management].\n")
        for node in self.nodes:
            node.write_config()
            node.start()
        for node in self.nodes:
            node.await_startup()
        first = self.nodes[0]
        for node in self.nodes[1:]:
            node.ctl("stop_app")
            node.ctl("join_cluster", first.name)
            node.ctl("start_app")
        self.wait_members(len(self.nodes))
        return self

    def running_members(self, via: Node | None = None) -> list[str]:
        via = via or next(node for node in self.nodes if node.running())
        answer = httpx.get(f"http://127.0.0.1:{via.management_port}/api/nodes", auth=("guest", "guest"), timeout=10)
        answer.raise_for_status()
        return sorted(n["name"] for n in answer.json() if n.get("running"))

    def wait_members(self, count: int, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if len(self.running_members()) >= count:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"the cluster did not reach {count} running members")
            time.sleep(1)

    def kill(self, number: int) -> None:
        self.nodes[number - 1].kill()

    def restart(self, number: int) -> None:
        """Start a killed node again on its own data: it rejoins the cluster
        and its quorum queue replicas catch up."""
        node = self.nodes[number - 1]
        node.start()
        node.await_startup()
        self.wait_members(len(self.nodes))

    def quorum_members(self, vhost: str) -> dict[str, int]:
        """Each quorum queue of `vhost` and how many nodes hold a replica."""
        via = next(node for node in self.nodes if node.running())
        answer = httpx.get(f"http://127.0.0.1:{via.management_port}/api/queues/{quote(vhost, safe='')}",
                           auth=("guest", "guest"), params={"columns": "name,type,members"}, timeout=30)
        answer.raise_for_status()
        return {q["name"]: len(q.get("members") or []) for q in answer.json() if q.get("type") == "quorum"}

    def stop(self) -> None:
        for node in reversed(self.nodes):
            try:
                node.stop()
            except Exception:  # stopping is best effort: the kill below is not
                if node.running():
                    os.killpg(node.process.pid, signal.SIGKILL)
        shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self) -> "Cluster":
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()
