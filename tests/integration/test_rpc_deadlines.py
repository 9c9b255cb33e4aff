"""A service refuses, unstarted, a request picked up after its caller's
deadline (the `deadline` context entry the gateway sets, issue 15): the
caller gave up, so the work is not done (here: no post is created)."""
import time
import uuid

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from shared.caller_token import CallerSigner
from stack.testing import db_connect

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def posts_service(start_service):
    return [start_service("identity"), start_service("posts")]


def create_post(platform, member, title: str, deadline: float):
    context = {"correlation_id": uuid.uuid4().hex, "caller_id": member["id"], "caller_role": member["role"],
               "caller_agency": member.get("agency_code") or "", "deadline": f"{deadline:.3f}"}
    # Signed as the gateway signs it (services refuse an unsigned caller).
    context = CallerSigner.from_file(platform.caller_private_key_path).sign_context(context, audience="posts")
    with ClusterRpcProxy({"AMQP_URI": platform.amqp_uri, "serializer": "json"}, context_data=context,
                         timeout=15) as proxy:
        return proxy.posts.create_post({"kind": "question", "title": title, "body": "Des pistes ?"})


def posts_titled(platform, title: str) -> int:
    with db_connect(platform, "posts") as conn:
        return conn.execute("SELECT count(*) FROM posts WHERE title = %s", (title,)).fetchone()[0]


def test_a_request_past_its_callers_deadline_is_refused_without_doing_the_work(posts_service, platform, make_member):
    member = make_member()
    title = f"Trop tard {uuid.uuid4().hex[:8]}"
    with pytest.raises(RemoteError) as refused:
        create_post(platform, member, title, deadline=time.time() - 1)
    assert refused.value.exc_type == "DeadlineExceeded"
    assert posts_titled(platform, title) == 0


def test_a_request_within_its_deadline_is_served(posts_service, platform, make_member):
    member = make_member()
    title = f"À temps {uuid.uuid4().hex[:8]}"
    assert create_post(platform, member, title, deadline=time.time() + 30)["title"] == title
    assert posts_titled(platform, title) == 1
