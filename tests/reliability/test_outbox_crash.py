"""A crash between commit and publish loses no event: the outbox row
committed with the state change is sent by the relay after a restart."""
import subprocess
import sys
import uuid

import pytest

from stack.testing import db_connect, service_env, wait_for

pytestmark = pytest.mark.integration

# Runs the real use case in a process that dies right after the commit,
# before any relay could publish: the worst moment for a dual write.
CRASH_AFTER_COMMIT = """
import os, sys
from datetime import datetime, timezone
from sqlalchemy.orm import sessionmaker
from services.posts import handlers
from services.posts.repository import PostsUnitOfWork
from shared.caller import Caller
from shared.db.engine import make_engine
from shared.settings import get_settings

engine = make_engine(get_settings().database_url("posts"))
with PostsUnitOfWork(sessionmaker(engine)) as uow:
    post = handlers.create_post(
        uow, Caller(sys.argv[1], "job_seeker", "HDF-ROUBAIX"),
        {"kind": "question", "title": "Avant le crash", "body": "Une question sans données personnelles.", "topics": []},
        datetime.now(timezone.utc),
    )
print(post["id"], flush=True)
os._exit(9)
"""


def test_event_committed_before_a_crash_is_published_after_restart(platform, start_service):
    author_id = str(uuid.uuid4())
    crashed = subprocess.run(
        [sys.executable, "-c", CRASH_AFTER_COMMIT, author_id],
        env=service_env(platform, "posts"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert crashed.returncode == 9, crashed.stderr
    post_id = crashed.stdout.strip()

    with db_connect(platform, "posts") as conn:
        unsent = conn.execute(
            "SELECT published_at FROM outbox WHERE event_type = 'posts.post_created' AND envelope->'payload'->>'post_id' = %s",
            (post_id,),
        ).fetchone()
    assert unsent == (None,), "the event must be in the outbox, committed and not yet sent"

    # The service comes back; its relay sends what the crashed process committed.
    start_service("moderation")
    start_service("posts")

    def status():
        with db_connect(platform, "posts") as conn:
            return conn.execute("SELECT status FROM posts WHERE id = %s", (post_id,)).fetchone()[0]

    wait_for(lambda: status() == "published", timeout=10, message="the post to be screened and published")
    with db_connect(platform, "moderation") as conn:
        screened = conn.execute(
            "SELECT count(*) FROM outbox WHERE event_type = 'moderation.content_screened' "
            "AND envelope->'payload'->>'target_id' = %s",
            (post_id,),
        ).fetchone()[0]
    assert screened == 1
