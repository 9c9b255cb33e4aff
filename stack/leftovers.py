"""`python -m stack.leftovers`: what an earlier `make up` left running.

An unclean stop (supervisord killed, its machine's session closed) could
leave a supervisord without its socket, or programs holding the platform's
ports: the next `make up` then had every program crash-looping on "Address
already in use" while the old ones answered. `make up` runs this first:

- a process of this checkout (its working directory is the repository, or
  it is supervisord with this checkout's pid file) is stopped: SIGTERM,
  then SIGKILL after a grace period;
- anything else on one of the ports is named (pid, command) with what to
  run, and the command exits 1: it is not ours to stop.

Ports: the gateway's, the web app's, every service's metrics port, the
SMTP sink's and the PostgreSQL exporter's (`--ports` for others).
"""
import argparse
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from shared.settings import REPO_ROOT

PID_FILE = REPO_ROOT / "var/run/supervisord.pid"
GRACE_SECONDS = 15


@dataclass(frozen=True)
class Holder:
    pid: int | None  # None: the port's owner is not visible to this user
    port: int | None
    command: str

    def describe(self) -> str:
        where = f"port {self.port}" if self.port else "pid file"
        if self.pid is None:
            return f"{where}: held by a process of another user (find it: ss -ltnp 'sport = :{self.port}')"
        command = self.command if len(self.command) <= 160 else self.command[:157] + "..."
        return f"{where}: pid {self.pid} ({command})"


def platform_ports() -> list[int]:
    from gateway.settings import GatewaySettings
    from stack.services import METRICS_PORTS
    from web.settings import WebSettings

    gateway, web = GatewaySettings(), WebSettings()
    extra = [int(os.environ.get("SMTP_SINK_PORT", "1025")),
             int(os.environ.get("POSTGRES_EXPORTER_ADDRESS", "127.0.0.1:9187").rsplit(":", 1)[1])]
    return sorted({gateway.gateway_port, web.web_port, *METRICS_PORTS.values(), *extra})


def listening_inodes(ports: set[int]) -> dict[str, int]:
    """Socket inode -> port, for the TCP sockets listening on `ports`."""
    found = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            port = int(fields[1].rsplit(":", 1)[1], 16)
            if fields[3] == "0A" and port in ports:  # 0A: LISTEN
                found[fields[9]] = port
    return found


def command_of(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def holders(ports: list[int]) -> list[Holder]:
    inodes = listening_inodes(set(ports))
    seen, found = set(), []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fds = list((proc / "fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            inode = target[8:-1] if target.startswith("socket:[") else None
            if inode in inodes and inode not in seen:
                seen.add(inode)
                found.append(Holder(int(proc.name), inodes[inode], command_of(int(proc.name))))
    found.extend(Holder(None, port, "?") for inode, port in inodes.items() if inode not in seen)
    return found


def stale_supervisord(pid_file: Path = PID_FILE) -> Holder | None:
    """The supervisord of this checkout's pid file, when it still runs."""
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    command = command_of(pid)
    return Holder(pid, None, command) if "supervisord" in command else None


def is_ours(holder: Holder) -> bool:
    if holder.pid is None:
        return False
    if holder.port is None:
        return True  # supervisord of this checkout's pid file
    try:
        return Path(f"/proc/{holder.pid}/cwd").resolve() == REPO_ROOT.resolve()
    except OSError:
        return False


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is gone for our purpose
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


def stop(pids: list[int], grace: float) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in pids:
        if alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ports", type=int, nargs="*", help="ports to check (default: the platform's)")
    parser.add_argument("--pid-file", type=Path, default=PID_FILE, help="supervisord's pid file")
    parser.add_argument("--grace", type=float, default=GRACE_SECONDS, help="seconds between SIGTERM and SIGKILL")
    args = parser.parse_args(argv)
    found = holders(args.ports if args.ports is not None else platform_ports())
    if supervisord := stale_supervisord(args.pid_file):
        found.insert(0, supervisord)
    ours = [h for h in found if is_ours(h)]
    foreign = [h for h in found if not is_ours(h)]
    if ours:
        print("Stopping what an earlier make up left running:")
        for holder in ours:
            print(f"  {holder.describe()}")
        stop(sorted({h.pid for h in ours}), args.grace)
    if foreign:
        print("These ports are taken by processes that are not this checkout's: stop them, or move the platform "
              "(GATEWAY_PORT, WEB_PORT, METRICS_PORT..., see .env.example):", file=sys.stderr)
        for holder in foreign:
            hint = f"  kill {holder.pid}" if holder.pid else ""
            print(f"  {holder.describe()}{hint}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
