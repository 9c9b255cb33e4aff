"""Reading posts against the real PostgreSQL schema: French search, keyset
pages, topic filter, feed with pins, counters under concurrent writers."""
import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from services.posts import conversation, handlers, lifecycle
from services.posts.repository import PostsUnitOfWork, search_sql
from shared.caller import Caller
from shared.contracts.identity import ProfileUpdated, UserErased
from shared.contracts.moderation import ContentScreened
from shared.db.engine import make_engine
from shared.errors import ValidationFailed

pytestmark = pytest.mark.integration

T0 = datetime(2025, 1, 6, 8, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def sessions(platform):
    engine = make_engine(platform.database_url("posts"), pool_size=12)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


def member(role="job_seeker", agency=None) -> Caller:
    return Caller(str(uuid.uuid4()), role, agency if agency is not None else f"AG-{uuid.uuid4().hex[:6]}")


def publish(sessions, author: Caller, title: str, body: str, topics=(), at=T0, kind="question") -> str:
    with PostsUnitOfWork(sessions) as uow:
        view = handlers.create_post(uow, author, {"kind": kind, "title": title, "body": body, "topics": list(topics)}, at)
    with PostsUnitOfWork(sessions) as uow:
        lifecycle.apply_screening(uow, ContentScreened(target_type="post", target_id=view["id"], decision="publish",
                                                       reasons=[], screened_at=at), at)
        uow.commit()
    return view["id"]


def call(sessions, fn, *args):
    with PostsUnitOfWork(sessions) as uow:
        return fn(uow, *args)


def titles(page) -> list[str]:
    return [item["title"] for item in page["items"]]


def test_french_search_folds_accents_and_stems(sessions):
    author, reader = member(), member()
    word = f"zq{uuid.uuid4().hex[:6]}"  # makes this test's posts findable alone
    publish(sessions, author, f"Les métiers du soin {word}", "Aide-soignante, infirmière")
    publish(sessions, author, f"Une formation courte {word}", "CACES en deux semaines")
    publish(sessions, author, f"Sans rapport {word}", "Rien à voir")
    assert titles(call(sessions, handlers.list_posts, reader, {"q": f"metiers {word}"})) == [f"Les métiers du soin {word}"]
    assert titles(call(sessions, handlers.list_posts, reader, {"q": f"formations {word}"})) == [f"Une formation courte {word}"]
    assert titles(call(sessions, handlers.list_posts, reader, {"q": f"infirmiere {word}"})) == [f"Les métiers du soin {word}"]
    assert call(sessions, handlers.list_posts, reader, {"q": "de la et"})["items"] == []


def test_search_ranks_title_matches_first_and_pages_without_repeats(sessions):
    author, reader = member(), member()
    word = f"zr{uuid.uuid4().hex[:6]}"
    in_body = [publish(sessions, author, f"Autre sujet {i}", f"texte avec {word}", at=T0 + timedelta(minutes=i)) for i in range(4)]
    in_title = publish(sessions, author, f"Titre {word}", "corps", at=T0)
    first = call(sessions, handlers.list_posts, reader, {"q": word, "limit": 2})
    assert first["items"][0]["id"] == in_title
    seen = [i["id"] for i in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = call(sessions, handlers.list_posts, reader, {"q": word, "limit": 2, "cursor": cursor})
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert sorted(seen) == sorted([in_title, *in_body]) and len(seen) == 5


def test_search_within_a_topic_finds_its_published_posts_through_the_topic_index(sessions):
    # Filtering the posts' jsonb walked every match of a common word: a second
    # per search at 1,000,000 posts; post_topics is indexed by topic (issue 17).
    author, reader = member(), member()
    word = f"zt{uuid.uuid4().hex[:6]}"
    wanted = publish(sessions, author, f"Dans le thème {word}", "corps", topics=["industrie"])
    publish(sessions, author, f"Autre thème {word}", "corps", topics=["creation-entreprise"])
    removed = publish(sessions, author, f"Retiré {word}", "corps", topics=["industrie"])
    call(sessions, handlers.remove_post, author, removed, T0)
    found, sent, _ = statements_and_transaction(sessions, handlers.list_posts, reader, {"q": word, "topic": "industrie"})
    assert [i["id"] for i in found["items"]] == [wanted]
    assert any("post_topics" in statement for statement in sent)


def test_a_search_within_a_topic_walks_the_topic_index_alone(sessions):
    # A topic's rows are spread through post_topics, one heap page each: the
    # walk's cost at 1,000,000 posts. The index carries the agency and the
    # vector (migration 0006), so the walk is an index-only scan: no heap page
    # is read once the table is vacuumed, which autovacuum does every 10,000
    # rows inserted (issue 17).
    author, reader = member(), member()
    word = f"zw{uuid.uuid4().hex[:6]}"
    for n in range(3):
        publish(sessions, author, f"Parcours {n} {word}", "corps", topics=["industrie"])
    engine = sessions.kw["bind"]
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM post_topics"))
        options = connection.execute(text("SELECT reloptions FROM pg_class WHERE relname = 'post_topics'")).scalar()
    assert "autovacuum_vacuum_insert_threshold=10000" in options
    sql = search_sql(True, False, False, True, False, False, 20, 1000)
    params = {"text": word, "viewer": reader.id, "topic": "industrie", "agency": author.agency_code,
              "kind": None, "author": None}
    with engine.connect() as connection:
        connection.execute(text("SET LOCAL enable_seqscan = off"))  # a test table is small enough to read whole
        plan = "\n".join(connection.exec_driver_sql("EXPLAIN (ANALYZE, COSTS OFF) " + sql, params).scalars())
    lines = plan.splitlines()
    walk = next(n for n, line in enumerate(lines) if "post_topics m" in line)
    assert "Index Only Scan using ix_post_topics_page" in lines[walk], plan
    assert next(line for line in lines[walk:] if "Heap Fetches" in line).strip() == "Heap Fetches: 0", plan


def test_a_search_within_a_topic_follows_the_posts_words_as_they_change(sessions):
    """post_topics carries each post's search vector (issue 17): an edit,
    screened again, and any change of the text, whatever writes it, reach it."""
    author, reader = member(), member()
    old_word, new_word, direct_word = (f"z{tag}{uuid.uuid4().hex[:6]}" for tag in "onw")
    post_id = publish(sessions, author, f"Avant {old_word}", "corps", topics=["industrie"])

    def found(word: str) -> list[str]:
        return [i["id"] for i in call(sessions, handlers.list_posts, reader, {"q": word, "topic": "industrie"})["items"]]

    assert found(old_word) == [post_id]
    call(sessions, handlers.edit_post, author, post_id, {"title": f"Après {new_word}"}, T0)
    assert found(new_word) == []  # pending again: out of the topic until screened
    with PostsUnitOfWork(sessions) as uow:
        lifecycle.apply_screening(uow, ContentScreened(target_type="post", target_id=post_id, decision="publish",
                                                       reasons=[], screened_at=T0), T0)
        uow.commit()
    assert found(new_word) == [post_id] and found(old_word) == []
    with sessions() as session, session.begin():
        session.execute(text("UPDATE posts SET body = :body WHERE id = :id"),
                        {"body": f"corps {direct_word}", "id": uuid.UUID(post_id)})
    assert found(direct_word) == [post_id] and found(new_word) == [post_id]


def test_list_pages_newest_first_with_filters_and_an_opaque_cursor(sessions):
    author, reader = member(agency="AG-LIST"), member()
    topic = "N1103"
    ids = [publish(sessions, author, f"Magasin {i}", "corps", topics=[topic], at=T0 + timedelta(hours=i)) for i in range(5)]
    publish(sessions, author, "Discussion", "corps", topics=[topic], at=T0 + timedelta(hours=9), kind="discussion")
    seen, cursor = [], None
    while True:
        page = call(sessions, handlers.list_posts, reader,
                    {"topic": topic, "kind": "question", "author": author.id, "limit": 2, **({"cursor": cursor} if cursor else {})})
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))
    with pytest.raises(ValidationFailed):
        call(sessions, handlers.list_posts, reader, {"cursor": "bm90LWEtY3Vyc29y"})


def test_authors_list_their_own_unpublished_posts_others_do_not(sessions):
    author, reader = member(), member()
    with PostsUnitOfWork(sessions) as uow:
        pending = handlers.create_post(uow, author, {"kind": "question", "title": "En attente", "body": "corps"}, T0)
    mine = call(sessions, handlers.list_posts, author, {"author": author.id})
    assert [i["id"] for i in mine["items"]] == [pending["id"]]
    assert call(sessions, handlers.list_posts, reader, {"author": author.id})["items"] == []
    # Their own, within a topic: read from the posts' topics (post_topics holds published posts only).
    with PostsUnitOfWork(sessions) as uow:
        on_topic = handlers.create_post(uow, author, {"kind": "question", "title": "Sur un thème", "body": "corps",
                                                      "topics": ["industrie"]}, T0 + timedelta(microseconds=250000))
    page = call(sessions, handlers.list_posts, author, {"author": author.id, "topic": "industrie", "limit": 1})
    assert [i["id"] for i in page["items"]] == [on_topic["id"]] and page["items"][0] == on_topic
    assert page["next_cursor"] is None
    both = call(sessions, handlers.list_posts, author, {"author": author.id, "limit": 1})
    rest = call(sessions, handlers.list_posts, author, {"author": author.id, "limit": 1, "cursor": both["next_cursor"]})
    assert [i["id"] for i in both["items"] + rest["items"]] == [on_topic["id"], pending["id"]]


def test_feed_has_the_agency_pinned_first_then_the_members_topics(sessions):
    agency = f"AG-{uuid.uuid4().hex[:6]}"
    topic = f"feed-{uuid.uuid4().hex[:6]}"
    admin = Caller(str(uuid.uuid4()), "admin", None)
    call(sessions, handlers.add_topic, admin, {"slug": topic, "label": "Fil", "kind": "theme"})
    neighbour, elsewhere, advisor = member(agency=agency), member(), member("advisor", agency)
    reader = member(agency=agency)
    with PostsUnitOfWork(sessions) as uow:
        uow.authors.rename(ProfileUpdated(user_id=reader.id, display_name="Lecteur", topics=[topic], updated_at=T0))
        uow.commit()
    old_local = publish(sessions, neighbour, "Ancien local", "corps", at=T0)
    topical = publish(sessions, elsewhere, "Ailleurs sur mon thème", "corps", topics=[topic], at=T0 + timedelta(hours=1))
    publish(sessions, elsewhere, "Ailleurs hors thème", "corps", at=T0 + timedelta(hours=2))
    new_local = publish(sessions, neighbour, "Nouveau local", "corps", at=T0 + timedelta(hours=3))
    call(sessions, conversation.set_pinned, advisor, old_local, True, T0)
    page = call(sessions, handlers.feed, reader, {"limit": 2})
    rest = call(sessions, handlers.feed, reader, {"limit": 2, "cursor": page["next_cursor"]})
    ids = [i["id"] for i in page["items"] + rest["items"]]
    assert ids == [old_local, new_local, topical]
    assert page["items"][0]["pinned"] is True and rest["next_cursor"] is None


def test_counters_stay_right_under_concurrent_writers(sessions):
    """20 members react twice each and 20 comments are published at once:
    every count lands exactly once."""
    author = member()
    post_id = publish(sessions, author, "Compteurs", "corps")
    reactors = [member() for _ in range(20)]
    comments = []
    for m in reactors:
        with PostsUnitOfWork(sessions) as uow:
            comments.append(conversation.add_comment(uow, m, post_id, {"body": "Merci"}, T0)["id"])
    barrier = threading.Barrier(20)
    errors = []

    def work(index):
        try:
            barrier.wait(10)
            for _ in range(2):
                with PostsUnitOfWork(sessions) as uow:
                    conversation.add_reaction(uow, reactors[index], post_id, {"type": "helpful"}, T0)
            with PostsUnitOfWork(sessions) as uow:
                lifecycle.apply_screening(uow, ContentScreened(target_type="comment", target_id=comments[index],
                                                               decision="publish", reasons=[], screened_at=T0), T0)
                uow.commit()
        except Exception as error:  # reported below with its cause
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    view = call(sessions, handlers.get_post, author, post_id)
    assert view["reactions"]["helpful"] == 20 and view["comment_count"] == 20


def test_unanswered_lists_the_agency_questions_with_no_published_answer_yet(sessions):
    agency = f"AG-{uuid.uuid4().hex[:6]}"
    asker, helper, reader = member(agency=agency), member(agency=agency), member(agency=agency)
    waiting = publish(sessions, asker, "Personne ne m'a répondu", "corps", at=T0)
    answered = publish(sessions, asker, "On m'a répondu", "corps", at=T0 + timedelta(hours=1))
    publish(sessions, member(), "Ailleurs, sans réponse", "corps", at=T0 + timedelta(hours=2))
    with PostsUnitOfWork(sessions) as uow:
        comment = conversation.add_comment(uow, helper, answered, {"body": "Voici ma réponse"}, T0 + timedelta(hours=1))
    with PostsUnitOfWork(sessions) as uow:
        lifecycle.apply_screening(uow, ContentScreened(target_type="comment", target_id=comment["id"], decision="publish",
                                                       reasons=[], screened_at=T0), T0)
        uow.commit()
    page = call(sessions, handlers.list_posts, reader, {"kind": "question", "agency": agency, "unanswered": True})
    assert [i["id"] for i in page["items"]] == [waiting]
    every = call(sessions, handlers.list_posts, reader, {"kind": "question", "agency": agency})
    assert {i["id"] for i in every["items"]} == {waiting, answered}


def statements_and_transaction(sessions, fn, *args):
    """What `fn(uow, *args)` sent: its SQL statements, and whether a
    transaction was left open (a BEGIN sent, a ROLLBACK to come)."""
    from psycopg.pq import TransactionStatus
    from sqlalchemy import event

    sent = []
    engine = sessions.kw["bind"]

    def count(conn, cursor, statement, *rest):
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with PostsUnitOfWork(sessions) as uow:
            result = fn(uow, *args)
            status = uow.session.connection().connection.dbapi_connection.info.transaction_status
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return result, sent, status != TransactionStatus.IDLE


def test_a_post_is_read_in_one_query_without_a_transaction(sessions):
    author, reader = member(), member()
    with PostsUnitOfWork(sessions) as uow:
        uow.authors.rename(ProfileUpdated(user_id=author.id, display_name="Autrice", topics=[], updated_at=T0))
        uow.commit()
    post_id = publish(sessions, author, "Une lecture", "corps")
    call(sessions, conversation.add_reaction, reader, post_id, {"type": "thanks"}, T0)
    view, sent, open_transaction = statements_and_transaction(sessions, handlers.get_post, reader, post_id)
    assert len(sent) == 1 and not open_transaction
    assert view["author"]["display_name"] == "Autrice" and view["my_reactions"] == ["thanks"]
    assert view["reactions"]["thanks"] == 1
    other, _, _ = statements_and_transaction(sessions, handlers.get_post, member(), post_id)
    assert other["my_reactions"] == []


def test_a_post_is_read_without_the_orm(sessions):
    """The post read's query runs on the session's connection (Core): the
    ORM's statement handling was a fifth of the service's CPU for a read
    that loads no objects anyway (issue 17)."""
    from sqlalchemy import event

    author = member()
    post_id = publish(sessions, author, "Une lecture sans ORM", "corps")
    through_orm = []
    listener = lambda state: through_orm.append(state.statement)  # noqa: E731
    event.listen(sessions, "do_orm_execute", listener)
    try:
        view = call(sessions, handlers.get_post, author, post_id)
    finally:
        event.remove(sessions, "do_orm_execute", listener)
    assert view["id"] == post_id and view["title"] == "Une lecture sans ORM"
    assert through_orm == []


def test_a_feed_page_is_read_in_one_statement_without_a_transaction(sessions):
    """The reader's topics, the page's posts, their authors and the reader's
    reactions: one statement, in autocommit (no BEGIN, no ROLLBACK; the unit
    of work sends nothing of its own). It was three, and the union built and
    compiled on every call: most of posts' CPU per feed page (issue 17)."""
    agency = f"AG-{uuid.uuid4().hex[:6]}"
    author, reader = member(agency=agency), member(agency=agency)
    # times with a fraction PostgreSQL shortens (.12): the cursor still holds the exact time
    ids = [publish(sessions, author, f"Fil {n}", "corps", at=T0 + timedelta(minutes=n, microseconds=120000)) for n in range(3)]
    call(sessions, conversation.add_reaction, reader, ids[0], {"type": "helpful"}, T0)
    page, sent, open_transaction = statements_and_transaction(sessions, handlers.feed, reader, {"limit": 2})
    assert len(sent) == 1 and not open_transaction, sent
    assert page["items"][0]["created_at"] == (T0 + timedelta(minutes=2, microseconds=120000)).isoformat()
    assert [i["id"] for i in page["items"]] == [ids[2], ids[1]] and page["next_cursor"]
    rest, sent, _ = statements_and_transaction(sessions, handlers.feed, reader, {"limit": 2, "cursor": page["next_cursor"]})
    assert len(sent) == 1
    assert [i["id"] for i in rest["items"]] == [ids[0]] and rest["items"][0]["my_reactions"] == ["helpful"]


def test_feed_pages_through_pins_the_agency_and_the_topics_in_order_each_post_once(sessions):
    agency = f"AG-{uuid.uuid4().hex[:6]}"
    admin = Caller(str(uuid.uuid4()), "admin", None)
    first, second = (f"feed-{uuid.uuid4().hex[:6]}" for _ in range(2))
    for slug in (first, second):
        call(sessions, handlers.add_topic, admin, {"slug": slug, "label": "Fil", "kind": "theme"})
    neighbour, advisor, reader = member(agency=agency), member("advisor", agency), member(agency=agency)
    far, gone = member(), member()
    with PostsUnitOfWork(sessions) as uow:
        uow.authors.rename(ProfileUpdated(user_id=reader.id, display_name="Lectrice", topics=[first, second], updated_at=T0))
        uow.authors.rename(ProfileUpdated(user_id=neighbour.id, display_name="Voisine", topics=[], updated_at=T0))
        uow.commit()
    pinned = publish(sessions, neighbour, "Épinglé", "corps", at=T0 - timedelta(days=1))
    local = publish(sessions, neighbour, "Local", "corps", at=T0)
    local_on_topic = publish(sessions, neighbour, "Local sur mon thème", "corps", topics=[first], at=T0 + timedelta(hours=1))
    both_topics = publish(sessions, far, "Ailleurs, deux thèmes", "corps", topics=[first, second], at=T0 + timedelta(hours=2))
    by_erased = publish(sessions, gone, "Ailleurs, auteur effacé", "corps", topics=[second], at=T0 + timedelta(minutes=30))
    publish(sessions, far, "Ailleurs hors thème", "corps", at=T0 + timedelta(hours=3))
    removed = publish(sessions, far, "Retiré", "corps", topics=[first], at=T0 + timedelta(hours=4))
    call(sessions, handlers.remove_post, far, removed, T0)
    with PostsUnitOfWork(sessions) as uow:
        handlers.create_post(uow, neighbour, {"kind": "question", "title": "En attente", "body": "corps"}, T0 + timedelta(hours=5))
    call(sessions, conversation.set_pinned, advisor, pinned, True, T0)
    call(sessions, conversation.add_reaction, reader, both_topics, {"type": "thanks"}, T0)
    call(sessions, conversation.add_reaction, reader, both_topics, {"type": "helpful"}, T0)
    with PostsUnitOfWork(sessions) as uow:
        lifecycle.forget_member(uow, UserErased(user_id=gone.id, erased_at=T0), T0)
        uow.commit()
    expected = [pinned, both_topics, local_on_topic, by_erased, local]

    whole = call(sessions, handlers.feed, reader, {"limit": 20})
    assert [i["id"] for i in whole["items"]] == expected and whole["next_cursor"] is None
    views = {i["id"]: i for i in whole["items"]}
    assert [i["pinned"] for i in whole["items"]] == [True, False, False, False, False]
    assert views[both_topics]["my_reactions"] == ["helpful", "thanks"] and views[local]["my_reactions"] == []
    assert views[both_topics]["reactions"] == {"helpful": 1, "thanks": 1, "support": 0}
    assert views[by_erased]["author"] == {"id": None, "display_name": "Membre supprimé"}
    assert views[local]["author"] == {"id": neighbour.id, "display_name": "Voisine"}
    assert views[both_topics]["author"] == {"id": far.id, "display_name": None}  # no copy of them yet
    assert views[both_topics]["topics"] == [first, second] and "moderation_reason" not in views[local]
    for limit in (1, 2, 3):
        seen, cursor = [], None
        while True:
            page = call(sessions, handlers.feed, reader, {"limit": limit, **({"cursor": cursor} if cursor else {})})
            assert page["items"] == whole["items"][len(seen): len(seen) + limit]
            seen += [i["id"] for i in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert seen == expected

    # Without an agency: the topics alone, nothing pinned.
    roaming = Caller(str(uuid.uuid4()), "job_seeker", None)
    with PostsUnitOfWork(sessions) as uow:
        uow.authors.rename(ProfileUpdated(user_id=roaming.id, display_name="Itinérante", topics=[first], updated_at=T0))
        uow.commit()
    alone = call(sessions, handlers.feed, roaming, {"limit": 1})
    rest = call(sessions, handlers.feed, roaming, {"limit": 5, "cursor": alone["next_cursor"]})
    assert [i["id"] for i in alone["items"] + rest["items"]] == [both_topics, local_on_topic]
    assert rest["next_cursor"] is None and not any(i["pinned"] for i in alone["items"] + rest["items"])


def test_a_reader_with_neither_an_agency_nor_topics_sees_every_published_post_newest_first(sessions):
    author = member()
    newest = publish(sessions, author, "Le plus récent", "corps", at=datetime(2099, 1, 1, tzinfo=timezone.utc))
    before = publish(sessions, author, "Juste avant", "corps", at=datetime(2098, 12, 31, tzinfo=timezone.utc))
    nobody = Caller(str(uuid.uuid4()), "job_seeker", None)  # no copy of them either: no topics
    page = call(sessions, handlers.feed, nobody, {"limit": 1})
    rest = call(sessions, handlers.feed, nobody, {"limit": 1, "cursor": page["next_cursor"]})
    assert [i["id"] for i in page["items"] + rest["items"]] == [newest, before] and rest["next_cursor"]
    # An erased member's copy (a tombstone: topics are JSON null) reads as no topics.
    erased = Caller(str(uuid.uuid4()), "job_seeker", None)
    with PostsUnitOfWork(sessions) as uow:
        uow.authors.rename(ProfileUpdated(user_id=erased.id, display_name="Partie", topics=["industrie"], updated_at=T0))
        uow.authors.erase(UserErased(user_id=erased.id, erased_at=T0))
        uow.commit()
    assert [i["id"] for i in call(sessions, handlers.feed, erased, {"limit": 2})["items"]] == [newest, before]


def test_a_post_read_from_the_database_looks_like_the_post_its_author_just_wrote(sessions):
    """Views are built from rows (reads) and from objects (writes): one shape."""
    author = member()
    with PostsUnitOfWork(sessions) as uow:
        uow.authors.rename(ProfileUpdated(user_id=author.id, display_name="Autrice", topics=[], updated_at=T0))
        uow.commit()
    # PostgreSQL writes a time's fraction without its trailing zeros; views keep Python's six digits.
    for micro in (0, 120000, 123456, 5):
        with PostsUnitOfWork(sessions) as uow:
            written = handlers.create_post(uow, author, {"kind": "question", "title": "Titre", "body": "Corps",
                                                         "topics": ["industrie"]}, T0 + timedelta(microseconds=micro))
        assert call(sessions, handlers.get_post, author, written["id"]) == written


def test_a_list_page_is_read_in_one_statement_without_a_transaction(sessions):
    """The page's posts with their authors and the reader's reactions: one
    statement in autocommit, where it was three in a transaction (and ORM
    objects for every post); a search too, where it was three (its
    stop-word check, the ranked ids, then the posts)."""
    agency = f"AG-{uuid.uuid4().hex[:6]}"
    author, reader = member(agency=agency), member(agency=agency)
    word = f"zl{uuid.uuid4().hex[:6]}"
    ids = [publish(sessions, author, f"Liste {word} {n}", "corps", at=T0 + timedelta(minutes=n)) for n in range(3)]
    call(sessions, conversation.add_reaction, reader, ids[0], {"type": "support"}, T0)
    page, sent, open_transaction = statements_and_transaction(sessions, handlers.list_posts, reader,
                                                              {"agency": agency, "limit": 2})
    assert len(sent) == 1 and not open_transaction, sent
    assert [i["id"] for i in page["items"]] == [ids[2], ids[1]] and page["next_cursor"]
    rest = call(sessions, handlers.list_posts, reader, {"agency": agency, "limit": 2, "cursor": page["next_cursor"]})
    assert [i["id"] for i in rest["items"]] == [ids[0]] and rest["items"][0]["my_reactions"] == ["support"]
    found, sent, open_transaction = statements_and_transaction(sessions, handlers.list_posts, reader, {"q": word})
    assert len(sent) == 1 and not open_transaction, sent
    assert [i["id"] for i in found["items"]] == [ids[2], ids[1], ids[0]]
    assert found["items"][2]["my_reactions"] == ["support"]
    found, sent, _ = statements_and_transaction(sessions, handlers.list_posts, reader, {"q": f"{word} Liste", "limit": 2})
    assert len(sent) == 1 and [i["id"] for i in found["items"]] == [ids[2], ids[1]]
    rest, sent, _ = statements_and_transaction(sessions, handlers.list_posts, reader,
                                               {"q": f"{word} Liste", "limit": 2, "cursor": found["next_cursor"]})
    assert len(sent) == 1 and [i["id"] for i in rest["items"]] == [ids[0]] and rest["next_cursor"] is None


def test_creating_a_post_opens_no_transaction_after_its_commit(sessions):
    author = member()
    with PostsUnitOfWork(sessions) as uow:
        uow.authors.rename(ProfileUpdated(user_id=author.id, display_name="Autrice", topics=[], updated_at=T0))
        uow.commit()
    view, _, open_transaction = statements_and_transaction(
        sessions, handlers.create_post, author, {"kind": "question", "title": "Titre", "body": "Corps", "topics": []}, T0)
    assert not open_transaction and view["author"]["display_name"] == "Autrice"


def test_creating_a_post_sends_three_statements(sessions):
    """The writer's copy and their mutes in one query, then the post and its
    event: on a busy machine each round trip is a wait for the CPU (issue 17)."""
    author = member()
    with PostsUnitOfWork(sessions) as uow:
        uow.authors.rename(ProfileUpdated(user_id=author.id, display_name="Autrice", topics=[], updated_at=T0))
        uow.commit()
    view, sent, _ = statements_and_transaction(
        sessions, handlers.create_post, author, {"kind": "question", "title": "Titre", "body": "Corps", "topics": []}, T0)
    assert len(sent) == 3, sent
    assert view["author"]["display_name"] == "Autrice"


def test_a_writer_unknown_to_posts_yet_still_writes_and_a_muted_one_does_not(sessions):
    from shared.errors import Forbidden

    stranger = member()  # identity's event has not reached posts yet
    view = call(sessions, handlers.create_post, stranger, {"kind": "question", "title": "Titre", "body": "Corps",
                                                           "topics": []}, T0)
    assert view["id"]
    muted = member()
    with PostsUnitOfWork(sessions) as uow:
        uow.mutes.imposed(str(uuid.uuid4()), uuid.UUID(muted.id), T0 + timedelta(days=1))
        uow.mutes.imposed(str(uuid.uuid4()), uuid.UUID(muted.id), T0 - timedelta(days=1))  # over
        uow.commit()
    with pytest.raises(Forbidden, match="jusqu'au 07/01/2025"):
        call(sessions, handlers.create_post, muted, {"kind": "question", "title": "Titre", "body": "Corps",
                                                     "topics": []}, T0)
    for_ever = member()
    with PostsUnitOfWork(sessions) as uow:
        uow.mutes.imposed(str(uuid.uuid4()), uuid.UUID(for_ever.id), None)
        uow.commit()
    with pytest.raises(Forbidden, match="un modérateur a restreint votre compte"):
        call(sessions, handlers.create_post, for_ever, {"kind": "question", "title": "Titre", "body": "Corps",
                                                        "topics": []}, T0)
