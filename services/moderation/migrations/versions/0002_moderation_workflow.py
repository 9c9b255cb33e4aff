"""moderation: decisions on cases, targets, reports, members, sanctions,
appeals, spam activity, and the append-only audit log

Revision ID: 0002
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TARGET_TYPE = "target_type IN ('post', 'comment')"


def upgrade():
    op.add_column("cases", sa.Column("opened_at", sa.DateTime(timezone=True)))
    op.add_column("cases", sa.Column("action", sa.String(20)))
    op.add_column("cases", sa.Column("decision_reason", sa.Text))
    op.add_column("cases", sa.Column("decided_by", UUID(as_uuid=True)))
    op.add_column("cases", sa.Column("decided_at", sa.DateTime(timezone=True)))
    op.execute("UPDATE cases SET opened_at = created_at WHERE opened_at IS NULL")
    op.drop_constraint("ck_cases_status", "cases", type_="check")
    op.create_check_constraint("ck_cases_status", "cases", "status IN ('open', 'decided', 'closed')")
    op.create_check_constraint("ck_cases_action", "cases", "action IS NULL OR action IN ('approve', 'reject', 'hide')")
    op.create_check_constraint("ck_cases_target_type", "cases", TARGET_TYPE)
    op.create_index("ix_cases_queue", "cases", ["agency_code", "opened_at"], postgresql_where=sa.text("status = 'open'"))

    op.create_table(
        "targets",
        sa.Column("target_type", sa.String(20), primary_key=True),
        sa.Column("target_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("post_id", UUID(as_uuid=True)),
        sa.Column("author_id", UUID(as_uuid=True), index=True),
        sa.Column("agency_code", sa.String(40)),
        sa.Column("kind", sa.String(20)),
        sa.Column("title", sa.String(200)),
        sa.Column("status", sa.String(20), nullable=False, server_default="pending"),
        sa.Column("status_at", sa.DateTime(timezone=True)),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("answered_at", sa.DateTime(timezone=True)),
        sa.Column("unanswered_flagged_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint(TARGET_TYPE, name="ck_targets_type"),
    )
    # The unanswered-questions sweep reads only questions still waiting.
    op.create_index(
        "ix_targets_waiting_questions", "targets", ["published_at"],
        postgresql_where=sa.text(
            "kind = 'question' AND status = 'published' AND answered_at IS NULL AND unanswered_flagged_at IS NULL"
        ),
    )
    op.create_table(
        "reports",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("reporter_id", UUID(as_uuid=True)),
        sa.Column("target_type", sa.String(20), nullable=False),
        sa.Column("target_id", UUID(as_uuid=True), nullable=False),
        sa.Column("agency_code", sa.String(40)),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("detail", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("case_id", UUID(as_uuid=True)),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.Column("outcome", sa.String(20)),
        sa.CheckConstraint(TARGET_TYPE, name="ck_reports_target_type"),
        sa.CheckConstraint(
            "reason IN ('spam', 'abuse', 'personal_data', 'misinformation', 'other')", name="ck_reports_reason"
        ),
        # Once per member and target: the database settles concurrent double clicks.
        sa.UniqueConstraint("reporter_id", "target_type", "target_id", name="uq_reports_reporter_target"),
    )
    op.create_index("ix_reports_target", "reports", ["target_type", "target_id"])
    op.create_table(
        "members",
        sa.Column("user_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("agency_code", sa.String(40)),
    )
    op.create_table(
        "sanctions",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("agency_code", sa.String(40)),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("imposed_by", UUID(as_uuid=True), nullable=False),
        sa.Column("imposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.Column("lifted_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("type IN ('warn', 'mute', 'suspend')", name="ck_sanctions_type"),
    )
    op.create_index(
        "ix_sanctions_to_lift", "sanctions", ["expires_at"],
        postgresql_where=sa.text("lifted_at IS NULL AND type IN ('mute', 'suspend')"),
    )
    op.create_table(
        "appeals",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("case_id", UUID(as_uuid=True), nullable=False, unique=True),
        sa.Column("appellant_id", UUID(as_uuid=True)),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "activity",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("author_id", UUID(as_uuid=True), nullable=False),
        sa.Column("target_type", sa.String(20), nullable=False),
        sa.Column("target_id", UUID(as_uuid=True), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("created", sa.Boolean, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_activity_author_at", "activity", ["author_id", "at"])
    op.create_index("ix_activity_at", "activity", ["at"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", UUID(as_uuid=True)),
        sa.Column("actor_role", sa.String(20), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target_type", sa.String(20), nullable=False),
        sa.Column("target_id", UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("agency_code", sa.String(40)),
        sa.Column("case_id", UUID(as_uuid=True)),
        sa.Column("sanction_id", UUID(as_uuid=True)),
        sa.Column("reason", sa.Text),
        sa.Column("details", JSONB, nullable=False, server_default="{}"),
    )
    # Nobody alters the audit log, the application included: the database refuses.
    op.execute(
        """
        CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only()"
    )


def downgrade():
    op.execute("DROP TABLE audit_log")  # DROP fires no row trigger
    op.execute("DROP FUNCTION audit_log_is_append_only()")
    for table in ("activity", "appeals", "sanctions", "members", "reports", "targets"):
        op.drop_table(table)
    op.drop_index("ix_cases_queue", "cases")
    op.drop_constraint("ck_cases_target_type", "cases", type_="check")
    op.drop_constraint("ck_cases_action", "cases", type_="check")
    op.drop_constraint("ck_cases_status", "cases", type_="check")
    op.create_check_constraint("ck_cases_status", "cases", "status IN ('open', 'decided')")
    for column in ("decided_at", "decided_by", "decision_reason", "action", "opened_at"):
        op.drop_column("cases", column)
