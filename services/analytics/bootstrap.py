"""analytics' deploy step: its pseudonym key exists (generated when missing)
and the data team's stream is declared before analytics publishes to it."""
from services.analytics.settings import load_pseudonym_key
from services.analytics.stream_topology import declare_stream


def declare_broker(amqp_uri: str) -> dict:
    load_pseudonym_key()
    return {"analytics_stream": declare_stream(amqp_uri)}
