"""notifications: texts made before names were put in at read time get the
actor's slot instead of their name (services/notifications/messages.py)

A stored text named the actor as it was then ("Zoé a commenté votre
publication …"), and erasure rewrote every text by substring. Each such
text (and the e-mails made from it) now holds the actor's slot: the member
of that name when exactly one live member has it, else the neutral
"Un membre" (the name is dropped rather than guessed).

Revision ID: 0003
Revises: 0002
"""
import html

import sqlalchemy as sa
from alembic import op

from services.notifications import messages

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    conn = op.get_bind()
    names: dict[str, list[str]] = {}
    for member_id, display_name in conn.execute(sa.text(
            "SELECT id, display_name FROM members WHERE erased_at IS NULL AND display_name IS NOT NULL")):
        names.setdefault(display_name, []).append(str(member_id))
    rows = conn.execute(sa.text("SELECT id, user_id, body FROM notifications WHERE strpos(body, chr(30)) = 0"))
    for notification_id, user_id, body in rows.fetchall():
        found = messages.legacy_actor(body)
        if found is None:
            continue
        name, phrase = found
        ids = names.get(name, [])
        who = messages.actor(ids[0]) if len(ids) == 1 else messages.SOMEONE
        conn.execute(sa.text("UPDATE notifications SET body = :body WHERE id = :id"),
                     {"body": who + body[len(name):], "id": notification_id})
        # Its e-mail, and the digests of its recipient that listed it.
        conn.execute(sa.text(
            "UPDATE emails SET text_body = replace(text_body, :old, :new), "
            "html_body = replace(html_body, :old_html, :new_html) "
            "WHERE notification_id = :id OR (user_id = :user_id AND kind = 'digest')"),
            {"old": name + phrase, "new": who + phrase, "old_html": html.escape(name + phrase),
             "new_html": who + html.escape(phrase), "id": notification_id, "user_id": user_id})


def downgrade():
    """Names back in the texts, as the members are called now."""
    conn = op.get_bind()
    members = {str(i): (n, e is not None) for i, n, e in conn.execute(
        sa.text("SELECT id, display_name, erased_at FROM members"))}

    def name_of(member_id):
        return members.get(member_id, (None, False))

    for table, columns in (("notifications", ("body",)), ("emails", ("text_body", "html_body"))):
        for row in conn.execute(sa.text(
                f"SELECT id, {', '.join(columns)} FROM {table} WHERE "
                + " OR ".join(f"strpos({c}, chr(30)) > 0" for c in columns))).fetchall():
            values = {c: messages.render(v, name_of, escape=html.escape if c == "html_body" else (lambda s: s))
                      for c, v in zip(columns, row[1:])}
            conn.execute(sa.text(f"UPDATE {table} SET {', '.join(f'{c} = :{c}' for c in columns)} WHERE id = :id"),
                         {**values, "id": row[0]})
