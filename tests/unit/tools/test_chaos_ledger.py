"""The chaos ledger's audit, against a gateway played by httpx.MockTransport:
each way of breaking a promise is counted (a green chaos run means something)."""
import httpx

from tools.chaos.ledger import Comment, KpiProbe, Ledger, Question, audit

HEADERS = {"Authorization": "Bearer t"}


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
            return httpx.Response(200, json={"items": [{"type": "comment_on_post", "link": f"/v1/posts/{p}"}
                                                       for p in notified], "next_cursor": None})
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
