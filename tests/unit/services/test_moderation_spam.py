"""Spam rules: link floods, the same text again, posting floods; ordinary use is not spam."""
from datetime import datetime, timedelta, timezone

from services.moderation.config import Thresholds
from services.moderation.spam import RecentWriting, fingerprint, link_count, most_in_a_window, spam_reasons

AT = datetime(2025, 3, 4, 9, 30, tzinfo=timezone.utc)
LIMITS = Thresholds(links_max=3, duplicate_window_minutes=60, duplicate_min_chars=30, flood_max_posts=5,
                    flood_window_minutes=10)
LONG = "Je vends des formations CACES à prix cassé, contactez-moi vite"


def reasons(text, recent=(), target_id="new", created=True, at=AT):
    return spam_reasons(text, target_id, created, at, list(recent), LIMITS)


def test_more_links_than_the_threshold_is_spam():
    text = "https://a.example.com http://b.example.com www.c.fr d-e.com/offre"
    assert link_count(text) == 4
    assert reasons(text) == ["spam.links"]


def test_a_few_links_and_e_mail_domains_are_not_a_link_flood():
    text = "Voir https://www.francetravail.fr et www.service-public.fr ; écrivez à rh@exemple.fr ou rh@exemple.com"
    assert link_count(text) == 2
    assert reasons(text) == []


def test_the_same_text_again_by_the_same_author_is_a_duplicate():
    earlier = RecentWriting("p1", fingerprint(LONG), True, AT - timedelta(minutes=5))
    assert reasons("  JE VENDS des formations caces à prix cassé ; contactez-moi vite !! ", [earlier]) == ["spam.duplicate"]


def test_a_duplicate_needs_the_window_a_long_text_and_another_target():
    old = RecentWriting("p1", fingerprint(LONG), True, AT - timedelta(minutes=61))
    assert reasons(LONG, [old]) == []
    assert reasons("Merci beaucoup !", [RecentWriting("p1", fingerprint("Merci beaucoup !"), True, AT)]) == []
    # Re-screening an edit of the same post is not a duplicate of itself.
    assert reasons(LONG, [RecentWriting("p1", fingerprint(LONG), True, AT)], target_id="p1", created=False) == []


def test_more_posts_than_the_threshold_within_the_window_is_a_flood():
    recent = [RecentWriting(f"p{i}", fingerprint(f"texte {i}"), True, AT - timedelta(minutes=i)) for i in range(5)]
    assert reasons("Encore une question", recent) == ["spam.flood"]


def test_posts_outside_the_window_edits_and_the_threshold_itself_are_not_a_flood():
    four = [RecentWriting(f"p{i}", "x", True, AT - timedelta(minutes=i)) for i in range(4)]
    assert reasons("Cinquième message", four) == []  # 5 in 10 minutes: at the limit, not over
    old = [RecentWriting(f"p{i}", "x", True, AT - timedelta(minutes=11 + i)) for i in range(10)]
    assert reasons("Un message", old) == []
    edits = [RecentWriting("p1", f"v{i}", False, AT - timedelta(minutes=i)) for i in range(10)]
    assert reasons("Un message", edits) == []
    assert reasons("Une modification", four + [RecentWriting("p9", "x", True, AT)], created=False) == []


def test_a_copy_screened_first_though_written_after_makes_the_earlier_one_a_duplicate():
    """Two copies sent at once, screened in the other order (seen on `make
    up`: both published): the one screened second is the duplicate."""
    later = RecentWriting("p1", fingerprint(LONG), True, AT + timedelta(milliseconds=18))
    assert reasons(LONG, [later]) == ["spam.duplicate"]
    assert reasons(LONG, [RecentWriting("p1", fingerprint(LONG), True, AT + timedelta(minutes=61))]) == []


def test_posts_written_after_this_one_but_screened_before_count_toward_a_flood():
    after = [RecentWriting(f"p{i}", "x", True, AT + timedelta(seconds=i)) for i in range(1, 6)]
    assert reasons("Le premier des six", after) == ["spam.flood"]
    # Each window holds this post: two posts 9 minutes before it and three 9 minutes after it are six posts
    # in 18 minutes, never six in one window of ten.
    spread = [RecentWriting(f"b{i}", "x", True, AT - timedelta(minutes=9, seconds=i)) for i in range(2)] + [
        RecentWriting(f"a{i}", "x", True, AT + timedelta(minutes=9, seconds=i)) for i in range(3)]
    assert reasons("Au milieu", spread) == []


def test_the_most_posts_in_one_window_holding_the_post():
    minute = timedelta(minutes=1)
    assert most_in_a_window([AT], AT, 10 * minute) == 1
    assert most_in_a_window([AT - 9 * minute, AT - minute, AT, AT + minute, AT + 9 * minute], AT, 10 * minute) == 4
    assert most_in_a_window([AT - 10 * minute, AT, AT + 10 * minute], AT, 10 * minute) == 2
