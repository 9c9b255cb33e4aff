"""A nameko service calling a slow peer with a deadline (DESIGN.md, decision 7)."""
import time

from nameko.rpc import RpcProxy, rpc

from shared.messaging.rpc import RpcDeadlineExceeded, call_with_deadline


class DeadlineProbe:
    name = "deadlineprobe"

    peer = RpcProxy("pgprobe")

    @rpc
    def ask_slow_peer(self, peer_seconds, deadline_seconds):
        started = time.monotonic()
        try:
            call_with_deadline(self.peer.sleep_in_database, peer_seconds, timeout=deadline_seconds)
            outcome = "answered"
        except RpcDeadlineExceeded:
            outcome = "deadline exceeded"
        return {"outcome": outcome, "waited": time.monotonic() - started}
