"""AMQP_URI naming every node of a cluster (shared/messaging/uris.py)."""
import pytest

from shared.messaging.topology import vhost_of
from shared.messaging.uris import split_uris

CLUSTER = ("amqp://u:p@127.0.0.1:5681/plateforme;amqp://u:p@127.0.0.1:5682/plateforme;"
           "amqp://u:p@127.0.0.1:5683/plateforme")


def test_each_node_in_order():
    assert split_uris(CLUSTER) == [f"amqp://u:p@127.0.0.1:{port}/plateforme" for port in (5681, 5682, 5683)]
    assert split_uris("amqp://u:p@h:5672/ ; ") == ["amqp://u:p@h:5672/"]


def test_no_broker_is_refused():
    with pytest.raises(ValueError):
        split_uris(" ; ")


@pytest.mark.parametrize(("uri", "vhost"), [
    (CLUSTER, "plateforme"),
    ("amqp://u:p@h:5672/", "/"),
    ("amqp://u:p@h:5672", "/"),
    ("amqp://u:p@h:5672/%2F", "/"),
    ("amqp://u:p@h:5672/test-1;amqp://u:p@k:5672/test-1", "test-1"),
])
def test_the_vhost_is_the_first_nodes(uri, vhost):
    assert vhost_of(uri) == vhost
