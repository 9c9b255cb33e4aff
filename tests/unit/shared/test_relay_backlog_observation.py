"""The relay loop counts its unsent rows (the backlog gauges) after an idle
pass, and at most once a second while events flow: counting after every pass
was a quarter of the relay's CPU under load (issue 17)."""
from shared.db import nameko as relay_loop
from shared.db.nameko import BACKLOG_OBSERVE_SECONDS, UnitOfWorkProvider


class FakeRelay:
    def __init__(self):
        self.to_send: list[int] = []
        self.observations = 0

    def drain(self) -> int:
        return self.to_send.pop(0) if self.to_send else 0

    def observe_backlog(self) -> None:
        self.observations += 1


def loop_with(relay, monkeypatch, clock):
    monkeypatch.setattr(relay_loop.time, "monotonic", lambda: clock[0])
    provider = UnitOfWorkProvider("posts", object)
    provider.relay = relay
    provider._next_observation = 0.0
    return provider


def test_passes_that_send_events_count_the_backlog_at_most_once_a_second(monkeypatch):
    clock, relay = [100.0], FakeRelay()
    provider = loop_with(relay, monkeypatch, clock)
    relay.to_send = [1] * 50
    for _ in range(50):  # fifty busy passes within half a second
        provider.run_once()
        clock[0] += 0.01
    assert relay.observations == 1
    clock[0] += BACKLOG_OBSERVE_SECONDS
    relay.to_send = [3]
    provider.run_once()
    assert relay.observations == 2


def test_an_idle_pass_always_counts_the_backlog(monkeypatch):
    """The poll pass after a busy spell (nothing left to send) brings the
    gauges back to what is left, without waiting for the second to end."""
    clock, relay = [100.0], FakeRelay()
    provider = loop_with(relay, monkeypatch, clock)
    relay.to_send = [5]
    provider.run_once()
    clock[0] += 0.1
    provider.run_once()  # nothing sent
    provider.run_once()
    assert relay.observations == 3
