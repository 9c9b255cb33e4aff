"""Inspect, requeue or discard the events parked in the dead-letter queue.

    python -m tools.dead_letters list [--json] [--limit N]
    python -m tools.dead_letters show ID
    python -m tools.dead_letters requeue (ID... | --all) [--queue Q]
    python -m tools.dead_letters discard (ID... | --all) [--queue Q]
    python -m tools.dead_letters erase-member MEMBER_ID [--email ADDRESS]

ID is the event id of the parked envelope (`list` shows it). docs/runbooks/
DeadLettersPresent.md says when to use which.
"""
