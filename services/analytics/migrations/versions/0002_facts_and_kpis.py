"""analytics: facts of every event, derived tables of the KPIs, the agency→region map

Replaces post_facts (its figures are derived from facts now). The agency map is
seeded from the pilot file; identity.agency_created keeps it up to date.

Revision ID: 0002
"""
import json

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.settings import REPO_ROOT

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PILOT_AGENCIES = REPO_ROOT / "services/identity/data/pilot_agencies.json"


def upgrade():
    op.drop_table("post_facts")
    op.create_table('activities',
    sa.Column('event_id', sa.UUID(), nullable=False),
    sa.Column('person', sa.String(length=40), nullable=True),
    sa.Column('agency_code', sa.String(length=40), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('event_id')
    )
    op.create_index(op.f('ix_activities_agency_code'), 'activities', ['agency_code'], unique=False)
    op.create_index(op.f('ix_activities_at'), 'activities', ['at'], unique=False)
    op.create_index(op.f('ix_activities_person'), 'activities', ['person'], unique=False)
    op.create_table('agencies',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=True),
    sa.Column('region_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('attendances',
    sa.Column('calendar_event_id', sa.String(length=64), nullable=False),
    sa.Column('person', sa.String(length=40), nullable=False),
    sa.Column('agency_code', sa.String(length=40), nullable=True),
    sa.Column('attended', sa.Boolean(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('calendar_event_id', 'person')
    )
    op.create_index(op.f('ix_attendances_agency_code'), 'attendances', ['agency_code'], unique=False)
    op.create_table('calendar_events',
    sa.Column('calendar_event_id', sa.String(length=64), nullable=False),
    sa.Column('agency_code', sa.String(length=40), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('calendar_event_id')
    )
    op.create_index(op.f('ix_calendar_events_agency_code'), 'calendar_events', ['agency_code'], unique=False)
    op.create_index(op.f('ix_calendar_events_starts_at'), 'calendar_events', ['starts_at'], unique=False)
    op.create_table('case_decisions',
    sa.Column('event_id', sa.UUID(), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=True),
    sa.Column('agency_code', sa.String(length=40), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('event_id')
    )
    op.create_index(op.f('ix_case_decisions_agency_code'), 'case_decisions', ['agency_code'], unique=False)
    op.create_index(op.f('ix_case_decisions_decided_at'), 'case_decisions', ['decided_at'], unique=False)
    op.create_table('case_openings',
    sa.Column('event_id', sa.UUID(), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=True),
    sa.Column('agency_code', sa.String(length=40), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('event_id')
    )
    op.create_index(op.f('ix_case_openings_agency_code'), 'case_openings', ['agency_code'], unique=False)
    op.create_index(op.f('ix_case_openings_opened_at'), 'case_openings', ['opened_at'], unique=False)
    op.create_table('comments',
    sa.Column('comment_id', sa.String(length=64), nullable=False),
    sa.Column('post_id', sa.String(length=64), nullable=True),
    sa.Column('author', sa.String(length=40), nullable=True),
    sa.Column('author_role', sa.String(length=20), nullable=True),
    sa.Column('agency_code', sa.String(length=40), nullable=True),
    sa.Column('post_kind', sa.String(length=20), nullable=True),
    sa.Column('post_author', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('comment_id')
    )
    op.create_index(op.f('ix_comments_agency_code'), 'comments', ['agency_code'], unique=False)
    op.create_index(op.f('ix_comments_post_id'), 'comments', ['post_id'], unique=False)
    op.create_table('erased_persons',
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('digest')
    )
    op.create_table('facts',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.UUID(), nullable=False),
    sa.Column('event_type', sa.String(length=120), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('producer', sa.String(length=60), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('agency_code', sa.String(length=40), nullable=True),
    sa.Column('actor', sa.String(length=40), nullable=True),
    sa.Column('payload', postgresql.JSONB(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id')
    )
    op.create_index(op.f('ix_facts_actor'), 'facts', ['actor'], unique=False)
    op.create_index(op.f('ix_facts_event_type'), 'facts', ['event_type'], unique=False)
    op.create_index('ix_facts_occurred_id', 'facts', ['occurred_at', 'id'], unique=False)
    op.create_table('interactions',
    sa.Column('event_id', sa.UUID(), nullable=False),
    sa.Column('person', sa.String(length=40), nullable=False),
    sa.Column('peer', sa.String(length=40), nullable=True),
    sa.Column('agency_code', sa.String(length=40), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('event_id', 'person')
    )
    op.create_index(op.f('ix_interactions_agency_code'), 'interactions', ['agency_code'], unique=False)
    op.create_index(op.f('ix_interactions_at'), 'interactions', ['at'], unique=False)
    op.create_table('members',
    sa.Column('person', sa.String(length=40), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=True),
    sa.Column('agency_code', sa.String(length=40), nullable=True),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('person')
    )
    op.create_index(op.f('ix_members_agency_code'), 'members', ['agency_code'], unique=False)
    op.create_table('mentoring_matches',
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('agency_code', sa.String(length=40), nullable=True),
    sa.Column('mentee', sa.String(length=40), nullable=True),
    sa.Column('mentor', sa.String(length=40), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('request_id')
    )
    op.create_index(op.f('ix_mentoring_matches_accepted_at'), 'mentoring_matches', ['accepted_at'], unique=False)
    op.create_index(op.f('ix_mentoring_matches_agency_code'), 'mentoring_matches', ['agency_code'], unique=False)
    op.create_table('posts',
    sa.Column('post_id', sa.String(length=64), nullable=False),
    sa.Column('author', sa.String(length=40), nullable=True),
    sa.Column('agency_code', sa.String(length=40), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('post_id')
    )
    op.create_index(op.f('ix_posts_agency_code'), 'posts', ['agency_code'], unique=False)
    op.create_index(op.f('ix_posts_first_published_at'), 'posts', ['first_published_at'], unique=False)
    op.create_table('registrations',
    sa.Column('registration_id', sa.String(length=64), nullable=False),
    sa.Column('calendar_event_id', sa.String(length=64), nullable=True),
    sa.Column('person', sa.String(length=40), nullable=True),
    sa.Column('agency_code', sa.String(length=40), nullable=True),
    sa.Column('first_confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('registration_id')
    )
    op.create_index(op.f('ix_registrations_agency_code'), 'registrations', ['agency_code'], unique=False)
    op.create_index(op.f('ix_registrations_calendar_event_id'), 'registrations', ['calendar_event_id'], unique=False)
    op.create_table('screenings',
    sa.Column('event_id', sa.UUID(), nullable=False),
    sa.Column('target_type', sa.String(length=20), nullable=True),
    sa.Column('target_id', sa.String(length=64), nullable=True),
    sa.Column('decision', sa.String(length=20), nullable=True),
    sa.Column('screened_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('event_id')
    )
    op.create_index(op.f('ix_screenings_screened_at'), 'screenings', ['screened_at'], unique=False)
    op.create_index(op.f('ix_screenings_target_id'), 'screenings', ['target_id'], unique=False)
    agencies = sa.table("agencies", sa.column("code", sa.String), sa.column("region", sa.String))
    op.bulk_insert(agencies, [{"code": a["code"], "region": a["region"]} for a in json.loads(PILOT_AGENCIES.read_text())])


def downgrade():
    op.drop_table('screenings')
    op.drop_table('registrations')
    op.drop_table('posts')
    op.drop_table('mentoring_matches')
    op.drop_table('members')
    op.drop_table('interactions')
    op.drop_table('facts')
    op.drop_table('erased_persons')
    op.drop_table('comments')
    op.drop_table('case_openings')
    op.drop_table('case_decisions')
    op.drop_table('calendar_events')
    op.drop_table('attendances')
    op.drop_table('agencies')
    op.drop_table('activities')
    op.create_table(
        "post_facts",
        sa.Column("post_id", sa.UUID(), primary_key=True),
        sa.Column("agency_code", sa.String(40), index=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True)),
        sa.Column("published_at", sa.DateTime(timezone=True)),
    )
