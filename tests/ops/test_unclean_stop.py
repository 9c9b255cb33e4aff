"""An unclean stop leaves nothing running: a program supervisord runs ends
when supervisord is killed, and `make up` stops what an earlier run of this
checkout left on the platform's ports, or names what it must not stop."""
import configparser
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shared.settings import REPO_ROOT
from stack.leftovers import command_of
from stack.testing import free_port, wait_for

SUPERVISORD = Path(sys.executable).parent / "supervisord"


def state(pid: int) -> str | None:
    """The process's state letter, None once it is gone (a zombie counts as gone)."""
    try:
        letter = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (OSError, IndexError):
        return None
    return None if letter in "ZX" else letter


def children(pid: int) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if int((proc / "stat").read_text().split(") ", 1)[1].split()[1]) == pid:
                    found.append(int(proc.name))
            except (OSError, IndexError, ValueError):
                pass
    return found


def test_every_supervised_program_goes_through_the_launcher():
    config = configparser.RawConfigParser()
    config.read(REPO_ROOT / "infra/supervisor/supervisord.conf")
    programs = [s for s in config.sections() if s.startswith("program:")]
    assert programs
    for section in programs:
        assert config.get(section, "command").startswith("%(here)s/../../.venv/bin/python -m stack.launch "), section


def test_a_program_ends_when_its_supervisord_is_killed(tmp_path):
    conf = tmp_path / "supervisord.conf"
    conf.write_text(f"""
[supervisord]
nodaemon=true
silent=true
logfile={tmp_path}/supervisord.log
pidfile={tmp_path}/supervisord.pid

[program:sleeper]
command={sys.executable} -m stack.launch sleep 300
directory={REPO_ROOT}
startsecs=0
""")
    supervisord = subprocess.Popen([str(SUPERVISORD), "-n", "-c", str(conf)], cwd=tmp_path)
    try:
        program = wait_for(lambda: [p for p in children(supervisord.pid) if command_of(p) == "sleep 300"],
                           timeout=20, interval=0.2, message="the program to run")[0]
        supervisord.send_signal(signal.SIGKILL)  # an unclean stop: no chance to stop its programs
        supervisord.wait(10)
        wait_for(lambda: state(program) is None, timeout=10, interval=0.1, message="the orphaned program to end")
    finally:
        if supervisord.poll() is None:
            supervisord.kill()
            supervisord.wait(10)


def test_a_supervisord_left_without_its_terminal_is_stopped_with_its_programs(tmp_path):
    conf = tmp_path / "supervisord.conf"
    conf.write_text(f"""
[supervisord]
nodaemon=true
silent=true
logfile={tmp_path}/supervisord.log
pidfile={tmp_path}/supervisord.pid

[program:sleeper]
command={sys.executable} -m stack.launch sleep 300
directory={REPO_ROOT}
startsecs=0
""")
    # Its own session, as a `make up` whose terminal is gone: nothing here stops it.
    supervisord = subprocess.Popen([str(SUPERVISORD), "-n", "-c", str(conf)], cwd=tmp_path, start_new_session=True)
    try:
        program = wait_for(lambda: [p for p in children(supervisord.pid) if command_of(p) == "sleep 300"],
                           timeout=20, interval=0.2, message="the program to run")[0]
        wait_for(lambda: (tmp_path / "supervisord.pid").exists(), timeout=10, message="the pid file")
        result = leftovers("--ports", "--pid-file", str(tmp_path / "supervisord.pid"), "--grace", "10")
        assert result.returncode == 0, result.stderr
        assert f"pid file: pid {supervisord.pid} (" in result.stdout
        supervisord.wait(15)
        wait_for(lambda: state(program) is None, timeout=10, interval=0.1, message="its program to end")
    finally:
        if supervisord.poll() is None:
            supervisord.kill()
            supervisord.wait(10)


def listener(port: int, cwd: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: f":{port:04X} " in Path("/proc/net/tcp").read_text(), timeout=10, message="the port to listen")
    return proc


def leftovers(*args: str) -> subprocess.CompletedProcess:
    if "--pid-file" not in args:  # never this checkout's own: a `make up` may be running here
        args = (*args, "--pid-file", "/nonexistent/supervisord.pid")
    return subprocess.run([sys.executable, "-m", "stack.leftovers", *args], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})


def test_a_leftover_of_this_checkout_on_a_platform_port_is_stopped():
    port = free_port()
    left = listener(port, REPO_ROOT)  # as supervisord runs the programs: from the repository
    try:
        result = leftovers("--ports", str(port), "--grace", "5")
        assert result.returncode == 0, result.stderr
        assert f"port {port}: pid {left.pid}" in result.stdout
        left.wait(10)
    finally:
        if left.poll() is None:
            left.kill()


def test_a_port_held_by_something_else_is_named_not_stopped(tmp_path):
    port = free_port()
    other = listener(port, tmp_path)
    try:
        result = leftovers("--ports", str(port))
        assert result.returncode == 1
        assert f"port {port}: pid {other.pid} (" in result.stderr and "http.server" in result.stderr
        time.sleep(0.5)
        assert other.poll() is None
    finally:
        other.kill()
        other.wait(10)
