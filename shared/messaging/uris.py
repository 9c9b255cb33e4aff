"""A broker address may name every node of a cluster: `AMQP_URI` is then the
nodes' URIs separated by `;`, as kombu (hence nameko) reads it, e.g.
`amqp://u:p@rabbit-0:5672/v;amqp://u:p@rabbit-1:5672/v;amqp://u:p@rabbit-2:5672/v`.
kombu connects to the first and moves to the next when one goes away; the
gateway's aio-pika connections do the same (gateway/broker.py). Code that
reads a part of the address (the vhost) reads it from the first node's URI."""
from urllib.parse import unquote, urlsplit


def split_uris(amqp_uri: str) -> list[str]:
    """Each node's URI, in order (one for a single broker)."""
    uris = [uri.strip() for uri in amqp_uri.split(";") if uri.strip()]
    if not uris:
        raise ValueError("AMQP_URI names no broker")
    return uris


def vhost_of(amqp_uri: str) -> str:
    """The virtual host, `/` when the URI names none (the nodes of a cluster
    share it, so the first URI says it)."""
    path = urlsplit(split_uris(amqp_uri)[0]).path
    return unquote(path[1:]) if len(path) > 1 else "/"
