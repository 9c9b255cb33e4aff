"""The chaos ledger's audit, against a gateway played by httpx.MockTransport:
each way of breaking a promise is counted (a green chaos run means something)."""
import uuid

import httpx

from tools.chaos.ledger import Comment, KpiProbe, Ledger, MailProbe, Question, StreamProbe, audit

HEADERS = {"Authorization": "Bearer t"}


def notification_id(n: int) -> str:
    return str(uuid.UUID(int=n + 1))


def gateway(posts: dict[str, str], titles: list[str], notified: list[str], kpi: list[int]):
    """posts: id → status; titles: the author's posts; notified: post ids of
    comment notifications; kpi: successive values of the questions KPI."""

    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.startswith("/v1/posts/"):
            post_id = path.rsplit("/", 1)[-1]
            if post_id not in posts:
                return httpx.Response(404, json={"status": 404})
            return httpx.Response(200, json={"id": post_id, "status": posts[post_id]})
        if path == "/v1/posts":
            return httpx.Response(200, json={"items": [{"title": t} for t in titles], "next_cursor": None})
        if path == "/v1/notifications":
            return httpx.Response(200, json={"items": [{"id": notification_id(n), "type": "comment_on_post",
                                                        "link": f"/v1/posts/{p}"}
                                                       for n, p in enumerate(notified)], "next_cursor": None})
        if path == "/v1/analytics/kpis":
            return httpx.Response(200, json={"questions": kpi.pop(0) if len(kpi) > 1 else kpi[0]})
        return httpx.Response(500)

    return httpx.Client(base_url="http://gateway", transport=httpx.MockTransport(handle))


def ledger_of(*post_ids: str) -> Ledger:
    ledger = Ledger()
    for n, post_id in enumerate(post_ids):
        ledger.accept_question(Question(post_id, "author", HEADERS, f"Question run-1 n°{n}"))
        ledger.accept_comment(Comment(f"c{n}", post_id, "author"))
        ledger.answered(201)
    return ledger


def run(client, ledger, **kwargs):
    return audit(client, ledger, "test", marker="run-1", kpi=KpiProbe(client, HEADERS, "HDF-LILLE"),
                 settle_seconds=0.1, **{"parked": 0, **kwargs})


def test_a_clean_run_passes():
    client = gateway({"p1": "published", "p2": "published"}, ["Question run-1 n°0", "Question run-1 n°1"],
                     ["p1", "p2"], [10, 12])
    assert run(client, ledger_of("p1", "p2")).ok


def test_each_broken_promise_is_counted():
    client = gateway({"p1": "pending", "p3": "published"},
                     ["Question run-1 n°0", "Question run-1 n°2", "Question run-1 n°2"],
                     ["p3", "p3"], [10, 11])
    ledger = ledger_of("p1", "p2", "p3")
    ledger.answered(500)
    result = run(client, ledger, parked=2, expected_parked=1)
    assert (result.stuck, result.server_errors, result.parked) == (1, 1, 1)
    # p2 is gone (404) and its notification missing, p1's notification missing, p3 notified twice,
    # the title of p3 twice, and the KPI counted 1 of 3.
    assert result.lost == 1 + 2 + 2
    assert result.duplicated == 1 + 1
    assert not result.ok


def test_a_poison_message_that_is_not_parked_is_stuck():
    client = gateway({}, [], [], [0])
    assert run(client, Ledger(), parked=0, expected_parked=3).stuck == 3


def test_no_write_accepted_during_a_fault_that_promises_some_fails():
    clean = run(gateway({"p1": "published"}, ["Question run-1 n°0"], ["p1"], [10, 11]), ledger_of("p1"))
    assert clean.ok and "during the fault" not in clean.line()
    clean.during_fault = 0
    assert not clean.ok
    clean.during_fault = 7
    assert clean.ok and "during the fault 7" in clean.line()


def test_topic_bindings_match_as_rabbitmq_does():
    from tools.chaos.faults import topic_matches

    assert topic_matches("post_created", "post_created")
    assert topic_matches("#", "post_created")
    assert topic_matches("*", "post_created")
    assert not topic_matches("post_updated", "post_created")
    assert topic_matches("a.#", "a.b.c") and not topic_matches("a.*", "a.b.c")


def mailbox(tmp_path, *notification_numbers: int) -> MailProbe:
    """The SMTP sink's directory holding one message per number given (the
    e-mail of that notification), and one e-mail of something else."""
    probe = MailProbe(tmp_path)
    for k, n in enumerate(notification_numbers):
        (tmp_path / f"{k:04d}.eml").write_bytes(
            f"X-Sink-Rcpt-To: membre@exemple.fr\r\nMessage-ID: <notification.{notification_id(n)}@pilote.example.fr>"
            f"\r\nSubject: Nouveau commentaire\r\n\r\nBonjour\r\n".encode())
    (tmp_path / "other.eml").write_bytes(b"Message-ID: <digest.daily.x@pilote.example.fr>\r\n\r\nBonjour\r\n")
    return probe


def test_each_comment_e_mailed_once(tmp_path):
    client = gateway({"p1": "published", "p2": "published"}, ["Question run-1 n°0", "Question run-1 n°1"],
                     ["p1", "p2"], [10, 12])
    result = run(client, ledger_of("p1", "p2"), mail=mailbox(tmp_path, 0, 1))
    assert result.ok and result.effects["e-mailed"] == [0, 0], result.line()
    assert "e-mailed 0/0" in result.line()


def test_an_e_mail_missing_or_sent_twice_is_counted(tmp_path):
    client = gateway({"p1": "published", "p2": "published"}, ["Question run-1 n°0", "Question run-1 n°1"],
                     ["p1", "p2"], [10, 12])
    # Notification 0's e-mail sent twice, notification 1's never.
    result = run(client, ledger_of("p1", "p2"), mail=mailbox(tmp_path, 0, 0))
    assert result.effects["e-mailed"] == [1, 1]
    assert (result.lost, result.duplicated) == (1, 1) and not result.ok
    assert "e-mailed 1/1" in result.line()


class Stream(StreamProbe):
    """The stream's messages given, as (event type, id field, keyed id, event id)."""

    def __init__(self, messages):
        super().__init__("amqp://unused", lambda thing_id: f"k_{thing_id}")
        self.messages = messages

    def read(self):
        found = {}
        for event_type, field_name, key, event_id in self.messages:
            found.setdefault((event_type, field_name, key), set()).add(event_id)
        return found


def test_each_write_once_in_the_stream_by_event_id():
    client = gateway({"p1": "published", "p2": "published"}, ["Question run-1 n°0", "Question run-1 n°1"],
                     ["p1", "p2"], [10, 12])
    stream = Stream([("posts.post_created", "post_id", "k_p1", "e1"), ("posts.post_created", "post_id", "k_p2", "e2"),
                     # The same event appended twice is one event: the data team deduplicates on event_id.
                     ("posts.post_created", "post_id", "k_p2", "e2"),
                     ("posts.comment_created", "comment_id", "k_c0", "e3"),
                     ("posts.comment_created", "comment_id", "k_c1", "e4")])
    result = run(client, ledger_of("p1", "p2"), stream=stream)
    assert result.ok and result.effects["stream"] == [0, 0], result.line()


def test_a_write_missing_from_the_stream_or_there_under_two_event_ids_is_counted():
    client = gateway({"p1": "published", "p2": "published"}, ["Question run-1 n°0", "Question run-1 n°1"],
                     ["p1", "p2"], [10, 12])
    stream = Stream([("posts.post_created", "post_id", "k_p1", "e1"), ("posts.post_created", "post_id", "k_p1", "e9"),
                     ("posts.post_created", "post_id", "k_p2", "e2"),
                     ("posts.comment_created", "comment_id", "k_c0", "e3")])
    result = run(client, ledger_of("p1", "p2"), stream=stream)
    # p1's question under two event ids; comment c1 not in the stream.
    assert result.effects["stream"] == [1, 1] and not result.ok
    assert "stream 1/1" in result.line()


def test_a_write_done_although_the_client_never_learned_it_is_not_a_duplicate():
    # p1 accepted; "n°1" answered 503 until the load gave up, yet made: the KPI counts 2.
    def client():
        return gateway({"p1": "published"}, ["Question run-1 n°0", "Question run-1 n°1"], ["p1"], [10, 12])

    ledger = ledger_of("p1")
    assert run(client(), ledger).effects["KPI"] == [0, 1]
    ledger.uncertain_question("author", HEADERS, "Question run-1 n°1")
    result = run(client(), ledger)
    assert result.ok and result.effects["KPI"] == [0, 0], result.line()


def test_the_load_retries_an_unknown_outcome_with_the_same_key_and_a_refusal_with_a_new_one():
    from tools.chaos.load import WriteLoad

    keys, answers = [], [503, 409, 201]

    def handle(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers["Idempotency-Key"])
        status = answers.pop(0)
        return httpx.Response(status, json={"id": "c1"}, headers={"Retry-After": "0"})

    load = WriteLoad("http://gateway", [], Ledger(), "run-1")
    with httpx.Client(base_url="http://gateway", transport=httpx.MockTransport(handle)) as client:
        answer, uncertain = load._send_once(client, "/v1/posts", {}, HEADERS)
        # 503 then 409 (the first attempt still running) then 201: one key throughout.
        assert answer.status_code == 201 and not uncertain and len(set(keys)) == 1 and len(keys) == 3
        keys.clear()
        answers[:] = [409]
        answer, uncertain = load._send_once(client, "/v1/posts/p1/comments", {}, HEADERS, first_is_final=(409,))
        # A first 409 (question not published yet) is final: a new attempt gets a new key.
        assert answer.status_code == 409 and not uncertain and len(keys) == 1
