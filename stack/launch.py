"""`python -m stack.launch COMMAND [ARG...]`: run COMMAND so that it ends
with its parent.

supervisord runs every program of `make up` through this launcher. When
supervisord itself dies uncleanly (killed, OOM, its terminal gone), its
children would keep running as orphans holding their ports, and the next
`make up` would crash-loop on "Address already in use". The kernel's parent
death signal (prctl PR_SET_PDEATHSIG) sends the program SIGTERM the moment
its parent dies, however it dies. The setting survives exec, so the
launcher sets it and becomes COMMAND (no extra process).
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
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main(sys.argv[1:])
