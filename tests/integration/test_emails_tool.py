"""`python -m tools.emails`: failed notification e-mails listed (without
their address) and queued again, on the real notifications database."""
import json
import subprocess
import sys
import uuid

import pytest

from shared.settings import REPO_ROOT
from stack.testing import db_connect, service_env

pytestmark = pytest.mark.integration


def tool(platform, *args):
    done = subprocess.run([sys.executable, "-m", "tools.emails", *args], cwd=REPO_ROOT, env=service_env(platform),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_failed_emails_are_listed_and_queued_again(platform):
    failed, sent = uuid.uuid4(), uuid.uuid4()
    with db_connect(platform, "notifications") as conn:
        for email_id, status in ((failed, "failed"), (sent, "sent")):
            conn.execute(
                "INSERT INTO emails (id, user_id, kind, message_id, to_address, subject, text_body, html_body, status,"
                " attempts, last_error, created_at) VALUES (%s, %s, 'notification', %s, 'lea@exemple.fr', 'Objet',"
                " 'Texte', '<p>Texte</p>', %s, 40, '451 try later', now() - interval '4 days')",
                (email_id, uuid.uuid4(), f"<{email_id}@pilote.example.fr>", status))

    listed = [json.loads(line) for line in tool(platform, "list", "--json").splitlines()]
    assert [e["id"] for e in listed] == [str(failed)] and listed[0]["last_error"] == "451 try later"
    assert "lea@exemple.fr" not in tool(platform, "list")

    assert "1 e-mail(s) queued again." in tool(platform, "resend", "--all")
    with db_connect(platform, "notifications") as conn:
        status, attempts, fresh = conn.execute(
            "SELECT status, attempts, created_at > now() - interval '1 minute' FROM emails WHERE id = %s", (failed,)
        ).fetchone()
        assert (status, attempts, fresh) == ("pending", 0, True)
        assert conn.execute("SELECT status FROM emails WHERE id = %s", (sent,)).fetchone()[0] == "sent"
