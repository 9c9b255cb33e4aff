"""`make chaos-cluster` as a test, when asked: CHAOS_CLUSTER=1. It starts
three RabbitMQ nodes of its own (5681-5683, 15681-15683, 25681-25683; needs
root), the platform on them, and kills a node under write load: about five
minutes, too heavy for every `make test` (docs/chaos.md)."""
import os

import pytest

from shared.settings import Settings
from tools.chaos import on_cluster

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(os.environ.get("CHAOS_CLUSTER") != "1", reason="CHAOS_CLUSTER=1 runs it (heavy)"),
    pytest.mark.timeout(1200),
]


def test_a_cluster_node_killed_under_load_loses_doubles_and_blocks_nothing():
    result, short = on_cluster.run(Settings(), load_seconds=20, fault_seconds=30, rate=1.0, agency="HDF-LILLE")
    print(result.line())
    assert not short, f"quorum queues not replicated on every node: {short}"
    assert result.ok, result.line()
    assert result.during_fault and result.during_fault > 0, result.line()
