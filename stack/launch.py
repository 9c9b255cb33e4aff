"""`python -m stack.launch COMMAND [ARG...]`: run COMMAND so that it ends
with its parent.

supervisord runs every program of `make up` through this launcher. When
supervisord itself dies uncleanly (killed, OOM, its terminal gone), its
children would keep running as orphans holding their ports, and the next
`make up` would crash-loop on "Address already in use". The kernel's parent
death signal (prctl PR_SET_PDEATHSIG) sends the program SIGTERM the moment
its parent dies, however it dies. The setting survives exec, so the
launcher sets it and becomes COMMAND (no extra process).

A service's or the gateway's program (SERVICE_NAME) connects to the broker
as its own user: the launcher gives it its own AMQP_URI and takes the
management API's admin address away.
"""
import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGTERM) -> bool:
    """Ask the kernel for `sig` when the parent dies; False where there is no
    prctl (not Linux)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if not hasattr(libc, "prctl"):
        return False
    if libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error))
    return True


def main(argv: list[str]) -> None:
    if not argv:
        sys.exit("usage: python -m stack.launch COMMAND [ARG...]")
    parent = os.getppid()
    if not die_with_parent():
        print("stack.launch: no parent death signal on this system", file=sys.stderr)
    elif os.getppid() != parent:  # the parent died before the signal was asked for
        sys.exit(1)
    if _is_platform_process(os.environ):
        os.environ.update(own_broker_user(os.environ))
        os.environ.pop("RABBITMQ_MANAGEMENT_URL", None)
    os.execvp(argv[0], argv)


def _is_platform_process(env) -> bool:
    from stack.services import SERVICES

    return env.get("SERVICE_NAME") in (*SERVICES, "gateway")


def own_broker_user(env) -> dict[str, str]:
    """A service's or the gateway's AMQP_URI: AMQP_URI (the admin's, from
    .env or the default) with the process's own broker user
    (stack/broker_users.py), so that every program of `make up` runs as the
    user the bootstrap made for it. Nothing for another program."""
    if not _is_platform_process(env):
        return {}
    from shared.settings import Settings

    return {"AMQP_URI": Settings().service_amqp_uri(env["SERVICE_NAME"])}


if __name__ == "__main__":
    main(sys.argv[1:])
