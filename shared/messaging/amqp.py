"""Names on the broker and a publisher-confirm connection."""
from kombu import Connection, Exchange

RPC_EXCHANGE = "nameko-rpc"
DEAD_LETTER_EXCHANGE = "dead-letters"
DEAD_LETTER_QUEUE = "dead-letters"


def events_exchange(service: str) -> Exchange:
    """The topic exchange nameko uses for a service's events."""
    return Exchange(f"{service}.events", type="topic", durable=True)


def event_queue_name(source_service: str, event_name: str, service: str, method: str) -> str:
    """nameko's SERVICE_POOL queue name, so pre-declared queues are the ones consumed."""
    return f"evt-{source_service}-{event_name}--{service}.{method}"


def confirming_connection(amqp_uri: str) -> Connection:
    # confirm_publish: publish() returns only once the broker has taken the message.
    return Connection(amqp_uri, transport_options={"confirm_publish": True})
