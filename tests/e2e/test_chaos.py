"""The short chaos run of `make test`: the ledger of tools/chaos over three
experiments on the test stack (a service killed under write load, a poison
message, a newer producer's extra field), each accepted write followed to its effects. `make chaos` runs the
full set against `make up` (docs/chaos.md)."""
import httpx
import pytest

from services.analytics.settings import load_pseudonym_key
from services.notifications.smtp_sink import SmtpSink
from stack.services import SERVICES
from stack.testing import free_port
from tools.chaos import experiments
from tools.chaos.faults import dead_letter_count
from tools.chaos.ledger import EFFECTS
from tools.chaos.load import admin_headers
from tools.chaos.private import data_team_uri


@pytest.fixture(scope="module")
def smtp(tmp_path_factory):
    sink = SmtpSink(tmp_path_factory.mktemp("chaos-mail"), port=free_port()).start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def services(start_service, smtp):
    """Every service; moderation with a screening budget for a machine busy
    with the load (past it, texts are held for a person, which the ledger
    would count as stuck: tests/integration/test_moderation_screening_budget.py
    tests the budget itself); notifications e-mailing to the sink."""
    env = {"moderation": {"SCREENING_BUDGET_SECONDS": 10},
           "notifications": {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp.port, "EMAIL_POLL_SECONDS": 0.2}}
    return {name: start_service(name, **env.get(name, {})) for name in SERVICES}


class StackProcesses:
    """The test stack's service processes: nobody restarts a killed one but the test."""

    def __init__(self, services):
        self.services = services

    def kill(self, name: str) -> None:
        self.services[name].kill()

    def wait_back(self, name: str, timeout: float = 60.0) -> None:
        self.services[name].start(wait=timeout)


def test_short_chaos_run_loses_and_doubles_nothing(gateway, services, platform, smtp):
    parked_before = dead_letter_count(platform)
    with httpx.Client(base_url=gateway, timeout=15) as client:
        chaos = experiments.Chaos(
            client=client, settings=platform, processes=StackProcesses(services),
            admin=admin_headers(client, platform.platform_admin_email, platform.platform_admin_password),
            agency="HDF-LILLE", load_seconds=15, rate=2.0, mail_directory=smtp.directory,
            # The services read the pseudonym key as this process does (its file under var/keys).
            stream_uri=data_team_uri(platform), pseudonym_key=load_pseudonym_key())
        audits = [experiments.run_experiment(chaos, experiment)
                  for experiment in (experiments.kill("posts"), experiments.poison(),
                                      experiments.newer_producer(seconds=8))]

    # The poison's parked copies went with the experiment: later tests read the dead letters.
    assert dead_letter_count(platform) == parked_before
    report = "\n".join(audit.line() for audit in audits)
    print(report)
    total = experiments.total(audits)
    assert total.ok, report
    # The load really ran through the faults: questions and comments were accepted.
    assert all(audit.accepted >= 10 for audit in audits), report
    # And each of their effects was read back: published, notified, e-mailed, counted, streamed.
    assert all(set(audit.effects) == set(EFFECTS) for audit in audits), report
