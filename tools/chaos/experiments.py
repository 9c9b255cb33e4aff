"""Each experiment: write load through the gateway, one fault in the middle,
the load stopped, then the ledger's audit of every accepted write."""
from __future__ import annotations

import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import httpx

from shared.settings import Settings
from tools.chaos import faults
from tools.chaos.ledger import Audit, KpiProbe, Ledger, MailProbe, StreamProbe, audit
from tools.chaos.load import WriteLoad, enrol, members_needed


@dataclass
class Chaos:
    """What every experiment needs: the gateway, the broker and databases'
    settings, the processes, members to write as, and the timings."""

    client: httpx.Client
    settings: Settings
    processes: faults.Processes
    admin: dict
    agency: str
    load_seconds: float = 30.0
    fault_seconds: float = 60.0
    smtp_down_seconds: float = 300.0
    rate: float = 2.0
    # Where the ledger reads the other effects: the SMTP sink's directory of
    # messages, and the analytics stream (the data team's AMQP URI and the
    # pseudonym key that keys the ids in it); None leaves that effect unchecked.
    mail_directory: Path | None = None
    stream_uri: str | None = None
    pseudonym_key: bytes | None = None
    # The running experiment's ledger, and what its fault may report: the
    # writes accepted while it lasted (see Audit.during_fault).
    ledger: Ledger | None = None
    accepted_during_fault: int | None = None


@dataclass(frozen=True)
class Experiment:
    name: str
    # Injects the fault and undoes it; returns how many messages the fault
    # itself parks on purpose (a poison message), not counted against it.
    inject: Callable[[Chaos], int]
    # How long the fault lasts, roughly: the load runs that much longer, and
    # needs that many more members.
    lasts: Callable[[Chaos], float] = lambda chaos: 15.0
    # Undoes what the fault left once it is audited (a poison message's parked copies).
    clean_up: Callable[[Chaos], None] = lambda chaos: None
    # How long the audit waits for the effects to settle, at least.
    settles: Callable[[Chaos], float] = lambda chaos: max(60.0, chaos.load_seconds)


def run_experiment(chaos: Chaos, experiment: Experiment) -> Audit:
    ledger, marker = Ledger(), f"chaos-{uuid.uuid4().hex[:8]}"
    chaos.ledger, chaos.accepted_during_fault = ledger, None
    # Fresh members for each experiment, so their tokens outlive it.
    members = enrol(chaos.client, chaos.admin, members_needed(chaos.rate, chaos.load_seconds + experiment.lasts(chaos)), chaos.agency)
    kpi = KpiProbe(chaos.client, chaos.admin, chaos.agency)
    mail = MailProbe(chaos.mail_directory) if chaos.mail_directory is not None else None
    stream = stream_probe(chaos)
    parked_before = faults.dead_letter_count(chaos.settings)
    load = WriteLoad(str(chaos.client.base_url), members, ledger, marker, rate=chaos.rate).start()
    started = time.monotonic()
    try:
        time.sleep(chaos.load_seconds / 3)
        expected_parked = experiment.inject(chaos)
        time.sleep(max(chaos.load_seconds / 3, chaos.load_seconds - (time.monotonic() - started)))
    finally:
        load.stop()
    parked = _when_reachable(lambda: faults.dead_letter_count(chaos.settings)) - parked_before
    try:
        result = audit(chaos.client, ledger, experiment.name, marker=marker, kpi=kpi, parked=parked,
                       expected_parked=expected_parked, settle_seconds=experiment.settles(chaos),
                       mail=mail, stream=stream)
    finally:
        experiment.clean_up(chaos)
    result.during_fault = chaos.accepted_during_fault
    return result


def stream_probe(chaos: Chaos) -> StreamProbe | None:
    if chaos.stream_uri is None or chaos.pseudonym_key is None:
        return None
    from services.analytics.privacy import Pseudonymizer

    return StreamProbe(chaos.stream_uri, Pseudonymizer(chaos.pseudonym_key).thing)


def _when_reachable(read: Callable[[], int], timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return read()
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


# --- the faults -------------------------------------------------------------------

def kill(program: str) -> Experiment:
    def inject(chaos: Chaos) -> int:
        chaos.processes.kill(program)
        chaos.processes.wait_back(program)
        return 0

    return Experiment(f"kill -9 {program}", inject)


def poison() -> Experiment:
    published: list[str] = []

    def inject(chaos: Chaos) -> int:
        published.append(faults.publish_poison(chaos.settings, "posts", "post_created"))
        return faults.bound_queues(chaos.settings, "posts", "post_created")

    def clean_up(chaos: Chaos) -> None:
        # Its parked copies are the experiment's, not an operator's to handle.
        for marker in published:
            faults.remove_parked(chaos.settings, marker)

    return Experiment("poison message", inject, lambda chaos: 0.0, clean_up)


def duplicates() -> Experiment:
    def inject(chaos: Chaos) -> int:
        faults.republish_recent(chaos.settings, "posts", limit=20)
        return 0

    return Experiment("duplicate deliveries", inject, lambda chaos: 0.0)


def server_down(name: str, stop: faults.Action, start: faults.Action, keeps_writing: bool = False) -> Experiment:
    """A server (PostgreSQL, RabbitMQ) stopped for `fault_seconds`, then started;
    `stop` and `start` are commands or functions (faults.run).
    `keeps_writing`: the platform promises to accept writes meanwhile (one
    node of a cluster), so the writes accepted during the fault are counted."""

    def inject(chaos: Chaos) -> int:
        before = chaos.ledger.accepted() if chaos.ledger else 0
        faults.run(stop)
        try:
            time.sleep(chaos.fault_seconds)
            if keeps_writing and chaos.ledger:
                chaos.accepted_during_fault = chaos.ledger.accepted() - before
        finally:
            faults.run(start)
        return 0

    return Experiment(name, inject, lambda chaos: chaos.fault_seconds + 30)


def smtp_down() -> Experiment:
    def inject(chaos: Chaos) -> int:
        chaos.processes.stop("smtp-sink")
        try:
            time.sleep(chaos.smtp_down_seconds)
        finally:
            chaos.processes.start("smtp-sink")
        return 0

    # The e-mails that failed meanwhile wait out their back-off (doubling from
    # EMAIL_RETRY_BASE_SECONDS, 30 s) once the sink is back: up to about as
    # long again as the outage.
    return Experiment("SMTP sink down", inject, lambda chaos: chaos.smtp_down_seconds,
                      settles=lambda chaos: max(60.0, chaos.load_seconds, chaos.smtp_down_seconds))


def postgres_commands() -> tuple[str, str]:
    """Debian's pg_ctlcluster for the first cluster pg_lsclusters lists."""
    clusters = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=True).stdout.split()
    version, cluster = clusters[0], clusters[1]
    return f"pg_ctlcluster {version} {cluster} stop -m fast", f"pg_ctlcluster {version} {cluster} start"


SERVICES_AND_GATEWAY = ("identity", "posts", "moderation", "notifications", "analytics", "events", "mentoring",
                        "gateway")


def machine_server_experiments() -> list[Experiment]:
    """The machine's own PostgreSQL and RabbitMQ stopped: only where nobody
    else uses them (tools/chaos/private.py runs servers of its own)."""
    pg_stop, pg_start = postgres_commands()
    return [
        server_down("PostgreSQL stopped", pg_stop, pg_start),
        server_down("RabbitMQ stopped", "rabbitmqctl stop_app", "rabbitmqctl start_app"),
        server_down("broker memory alarm", "rabbitmqctl set_vm_memory_high_watermark absolute 1MB",
                    "rabbitmqctl set_vm_memory_high_watermark 0.4"),
    ]


def full_run(server_experiments: list[Experiment] | None = None) -> list[Experiment]:
    """What `make chaos` runs, in this order; the server experiments stop the
    machine's servers unless others are given."""
    return [
        *(kill(program) for program in SERVICES_AND_GATEWAY),
        *(machine_server_experiments() if server_experiments is None else server_experiments),
        smtp_down(),
        poison(),
        duplicates(),
        newer_producer(),
    ]


# The producers of a write's path: a question or comment (posts), its
# screening (moderation), its notification (notifications).
NEWER_PRODUCERS = ("posts", "moderation", "notifications")


def newer_producer(seconds: float = 15.0) -> Experiment:
    """Events with a field their consumers do not know, for `seconds`, as
    when a producer's new version is deployed first: consumers must handle
    them as before (tolerant readers), nothing parked, every effect once."""
    def inject(chaos: Chaos) -> int:
        undo = faults.newer_producer(chaos.settings, NEWER_PRODUCERS)
        try:
            time.sleep(seconds)
        finally:
            carried = undo()
        if carried == 0:
            raise RuntimeError("no event carried the extra field: the experiment tested nothing")
        return 0

    return Experiment("newer producer (extra field)", inject, lambda chaos: seconds)


def total(audits: list[Audit]) -> Audit:
    summed = Audit("total", accepted=sum(a.accepted for a in audits))
    for field in ("stuck", "server_errors", "parked"):
        setattr(summed, field, sum(getattr(a, field) for a in audits))
    for audit in audits:
        summed.lost += audit.lost - sum(lost for lost, _ in audit.effects.values())
        summed.duplicated += audit.duplicated - sum(doubled for _, doubled in audit.effects.values())
        for effect, (lost, doubled) in audit.effects.items():
            summed.count(effect, lost, doubled)
    return summed
