"""`python -m tools.chaos`: the experiments against `make up` on this machine
(`make chaos`). Needs the platform running, and root (or the servers' owners)
for the PostgreSQL and RabbitMQ experiments. With `--private`
(`make chaos-private`): the same experiments on servers and a platform the
run starts for itself, so that stopping PostgreSQL or RabbitMQ disturbs
nobody else (tools/chaos/private.py)."""
import argparse
import os
import sys

from pathlib import Path

import httpx

from services.analytics.settings import load_pseudonym_key
from shared.settings import REPO_ROOT, get_settings
from tools.chaos import experiments
from tools.chaos.faults import Supervised
from tools.chaos.load import admin_headers
from tools.chaos.private import data_team_uri


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.chaos", description=__doc__)
    parser.add_argument("--gateway", default=None, help="the gateway's address (default: this machine's, GATEWAY_PORT)")
    parser.add_argument("--only", action="append", default=[], help="run the experiments whose name contains this")
    parser.add_argument("--load-seconds", type=float, default=30.0, help="write load per experiment")
    parser.add_argument("--fault-seconds", type=float, default=None,
                        help="how long a server stays down (60 s; 30 s for a cluster node)")
    parser.add_argument("--smtp-down-seconds", type=float, default=300.0)
    parser.add_argument("--rate", type=float, default=None,
                        help="questions a second, each one answered (2; 1 with --cluster, whose enrolment is slower)")
    parser.add_argument("--agency", default="HDF-LILLE")
    parser.add_argument("--cluster", action="store_true",
                        help="start a three-node RabbitMQ cluster and the platform on it, kill a node under load "
                             "(not against make up; docs/chaos.md)")
    parser.add_argument("--private", action="store_true",
                        help="start a PostgreSQL, a RabbitMQ node, an SMTP sink and the platform of the run's own, "
                             "and run the experiments on them (not against make up; docs/chaos.md)")
    parser.add_argument("--keep-logs", action="store_true", help="with --cluster or --private: keep the processes' logs")
    parser.add_argument("--fault-command", help="run only this fault: a command that breaks something the platform "
                                                "must write through (e.g. kubectl delete pod rabbitmq-server-0)")
    parser.add_argument("--recover-command", default="true",
                        help="with --fault-command: run after --fault-seconds, returns once things are back")
    args = parser.parse_args(argv)

    settings = get_settings()
    if args.cluster:
        return _on_cluster(args, settings)
    args.fault_seconds = 60.0 if args.fault_seconds is None else args.fault_seconds
    args.rate = 2.0 if args.rate is None else args.rate
    if args.private:
        return _private(args, settings)
    gateway = args.gateway or f"http://127.0.0.1:{os.environ.get('GATEWAY_PORT', '8000')}"
    if args.fault_command:
        # Anywhere (Kubernetes): only the given fault, and writes must go on through it.
        chosen = [experiments.server_down(args.fault_command, args.fault_command, args.recover_command,
                                          keeps_writing=True)]
    else:
        chosen = [e for e in experiments.full_run() if not args.only or any(o in e.name for o in args.only)]
    with httpx.Client(base_url=gateway, timeout=15) as client:
        try:
            client.get("/readyz").raise_for_status()
        except httpx.HTTPError as error:
            print(f"The platform does not answer at {gateway} ({error}): start it with make up", file=sys.stderr)
            return 2
        chaos = experiments.Chaos(
            client=client, settings=settings, processes=Supervised(),
            admin=admin_headers(client, settings.platform_admin_email, settings.platform_admin_password),
            agency=args.agency, load_seconds=args.load_seconds, fault_seconds=args.fault_seconds,
            smtp_down_seconds=args.smtp_down_seconds, rate=args.rate,
            mail_directory=Path(os.environ.get("SMTP_SINK_DIR", str(REPO_ROOT / "var/mail"))),
            stream_uri=data_team_uri(settings), pseudonym_key=load_pseudonym_key())
        audits = []
        for experiment in chosen:
            # The admin's token is renewed for each experiment: a full run outlasts it.
            chaos.admin = admin_headers(client, settings.platform_admin_email, settings.platform_admin_password)
            audits.append(experiments.run_experiment(chaos, experiment))
            print(audits[-1].line(), flush=True)
    total = experiments.total(audits)
    print(total.line())
    return 0 if total.ok else 1


def _private(args, settings) -> int:
    from tools.chaos import private

    audits = private.run(settings, only=args.only, load_seconds=args.load_seconds, fault_seconds=args.fault_seconds,
                         smtp_down_seconds=args.smtp_down_seconds, rate=args.rate, agency=args.agency,
                         keep_logs=args.keep_logs, report=lambda line: print(line, flush=True))
    total = experiments.total(audits)
    print(total.line())
    return 0 if total.ok and audits else 1


def _on_cluster(args, settings) -> int:
    from tools.chaos import on_cluster

    result, short = on_cluster.run(settings, load_seconds=args.load_seconds,
                                   fault_seconds=30.0 if args.fault_seconds is None else args.fault_seconds,
                                   rate=1.0 if args.rate is None else args.rate, agency=args.agency, keep_logs=args.keep_logs)
    print(result.line())
    if short:
        print(f"quorum queues not replicated on every node: {short}")
    return 0 if result.ok and not short else 1


if __name__ == "__main__":
    sys.exit(main())
