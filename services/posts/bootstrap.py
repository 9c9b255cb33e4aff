"""posts' deploy step: the topics members choose from (`seed`, idempotent)."""
import json
from pathlib import Path

from services.posts import handlers
from services.posts.repository import PostsUnitOfWork
from shared.db.engine import unit_of_work
from shared.settings import Settings

TOPICS = Path(__file__).parent / "data/topics.json"


def seed(settings: Settings) -> dict:
    topics = json.loads(TOPICS.read_text())["topics"]
    with unit_of_work(settings, "posts", PostsUnitOfWork) as uow:
        return {"topics_added": handlers.seed_topics(uow, topics)}
