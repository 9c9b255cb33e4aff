"""shared/messaging/batching.py without a broker: the messages that arrive
together go to one worker; a failed batch sends each message down the
single-event path; a batch of one keeps its own outcome.
tests/reliability/test_batched_events.py proves it on RabbitMQ and PostgreSQL."""
from unittest import mock

import eventlet

from shared.messaging.batching import BatchedEventHandler


class FakeContainer:
    def __init__(self):
        self.workers = []  # (args, handle_result)

    def spawn_managed_thread(self, fn, identifier=None):
        return eventlet.spawn(fn)

    def spawn_worker(self, entrypoint, args, kwargs, context_data=None, handle_result=None):
        self.workers.append((args, handle_result))


def handler() -> BatchedEventHandler:
    entrypoint = BatchedEventHandler.__new__(BatchedEventHandler)
    entrypoint.container = FakeContainer()
    entrypoint.queue_consumer = mock.Mock()
    entrypoint.queue = mock.Mock()
    entrypoint.queue.name = "evt-posts-post_created--moderation.on_post_created"
    entrypoint.unpack_message_headers = lambda message: {}
    entrypoint._pending, entrypoint._gathering = [], False
    return entrypoint


def message(body):
    found = mock.Mock(spec=["payload", "headers"])
    found.payload, found.headers = body, {}
    return found


def arrive_together(entrypoint, count: int) -> list:
    messages = [message({"n": n}) for n in range(count)]
    for m in messages:
        entrypoint.handle_message(m.payload, m)
    eventlet.sleep(0.01)
    return messages


def test_messages_arriving_together_go_to_one_worker_and_are_acked_after_it():
    entrypoint = handler()
    messages = arrive_together(entrypoint, 3)
    [(args, done)] = entrypoint.container.workers
    assert args == ([{"n": 0}, {"n": 1}, {"n": 2}],)
    entrypoint.queue_consumer.ack_message.assert_not_called()  # not before the batch's commit
    done(mock.Mock(), None, None)
    assert [call.args[0] for call in entrypoint.queue_consumer.ack_message.call_args_list] == messages


def test_a_failed_batch_is_handled_again_one_event_at_a_time():
    entrypoint = handler()
    messages = arrive_together(entrypoint, 3)
    [(_, done)] = entrypoint.container.workers
    done(mock.Mock(), None, (ValueError, ValueError("poison"), None))
    alone = entrypoint.container.workers[1:]
    assert [args for args, _ in alone] == [([{"n": 0}],), ([{"n": 1}],), ([{"n": 2}],)]
    assert [handle.args[0] for _, handle in alone] == messages  # ReliableEventHandler's path, per message
    entrypoint.queue_consumer.ack_message.assert_not_called()


def test_a_batch_of_one_keeps_its_outcome_without_running_again():
    entrypoint = handler()
    [only] = arrive_together(entrypoint, 1)
    [(_, done)] = entrypoint.container.workers
    with mock.patch.object(BatchedEventHandler, "handle_message_processed") as processed:
        done(mock.Mock(), None, (ValueError, ValueError("poison"), None))
    processed.assert_called_once()
    assert processed.call_args.args[0] is only
    assert len(entrypoint.container.workers) == 1
