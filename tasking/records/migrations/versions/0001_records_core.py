"""0001 records core: the hash chain, accounts and roles, web sessions, the product registry and the tasking loop
(docs/records.md, "Tables"). Revision ids are four-digit numbers, in order."""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('account',
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('username_key', sa.String(length=200), nullable=False),
    sa.Column('username_skeleton', sa.String(length=400), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('display_skeleton', sa.String(length=800), nullable=False),
    sa.Column('password_hash', sa.String(length=400), nullable=True),
    sa.Column('os_user', sa.String(length=100), nullable=True),
    sa.Column('oidc_issuer', sa.String(length=400), nullable=True),
    sa.Column('oidc_subject', sa.String(length=400), nullable=True),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('account_id'),
    sa.UniqueConstraint('oidc_issuer', 'oidc_subject', name='uq_account_oidc'),
    sa.UniqueConstraint('os_user'),
    sa.UniqueConstraint('username'),
    sa.UniqueConstraint('username_key'),
    sa.UniqueConstraint('username_skeleton')
    )
    op.create_table('account_role',
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=30), nullable=False),
    sa.Column('granted_by', sa.String(length=64), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('account_id', 'role')
    )
    op.create_table('chain_head',
    sa.Column('stream', sa.String(length=100), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('stream')
    )
    op.create_table('control_priority',
    sa.Column('priority_id', sa.String(length=20), nullable=False),
    sa.Column('force', sa.String(length=100), nullable=False),
    sa.Column('strategic_version_id', sa.String(length=220), nullable=False),
    sa.Column('label', sa.Text(), nullable=False),
    sa.Column('crime_types_json', sa.Text(), nullable=False),
    sa.Column('area', sa.Text(), nullable=True),
    sa.Column('intelligence_requirement', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('adopted_by', sa.String(length=64), nullable=False),
    sa.Column('adopted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_by', sa.String(length=64), nullable=True),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('retired_reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('priority_id')
    )
    op.create_table('event',
    sa.Column('stream', sa.String(length=100), nullable=False),
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('event_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('os_user', sa.String(length=100), nullable=False),
    sa.Column('payload_json', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('stream', 'seq')
    )
    op.create_table('meeting_decision',
    sa.Column('meeting_id', sa.String(length=20), nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('decision', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('meeting_id', 'seq')
    )
    op.create_table('product',
    sa.Column('product_id', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('force', sa.String(length=100), nullable=False),
    sa.Column('scope_key', sa.Text(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('requested_by', sa.Text(), nullable=True),
    sa.Column('terms_of_reference', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('product_id'),
    sa.UniqueConstraint('scope_key')
    )
    op.create_table('product_version',
    sa.Column('version_id', sa.String(length=220), nullable=False),
    sa.Column('product_id', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('marking', sa.String(length=40), nullable=False),
    sa.Column('author', sa.String(length=64), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=True),
    sa.Column('period_end', sa.Date(), nullable=True),
    sa.Column('store_path', sa.Text(), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('manifest_json', sa.Text(), nullable=False),
    sa.Column('key_figures_json', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('version_id'),
    sa.UniqueConstraint('product_id', 'version', name='uq_product_version')
    )
    op.create_table('profile_record',
    sa.Column('profile_id', sa.String(length=20), nullable=False),
    sa.Column('tor_id', sa.String(length=20), nullable=False),
    sa.Column('force', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('close_reason', sa.String(length=40), nullable=True),
    sa.Column('close_note', sa.Text(), nullable=True),
    sa.Column('closed_by', sa.String(length=64), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('profile_id'),
    sa.UniqueConstraint('tor_id')
    )
    op.create_table('profile_record_version',
    sa.Column('profile_id', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version_id', sa.String(length=220), nullable=False),
    sa.Column('period_from', sa.Date(), nullable=True),
    sa.Column('period_to', sa.Date(), nullable=True),
    sa.Column('key_figures_json', sa.Text(), nullable=True),
    sa.Column('changes_json', sa.Text(), nullable=False),
    sa.Column('drafted_by', sa.String(length=64), nullable=False),
    sa.Column('drafted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('profile_id', 'version')
    )
    op.create_table('store_identity',
    sa.Column('instance_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('instance_id')
    )
    op.create_table('tasking_action',
    sa.Column('action_id', sa.String(length=20), nullable=False),
    sa.Column('meeting_id', sa.String(length=20), nullable=False),
    sa.Column('force', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('area', sa.Text(), nullable=True),
    sa.Column('crime_types_json', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_note', sa.Text(), nullable=True),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('action_id')
    )
    op.create_table('tasking_meeting',
    sa.Column('meeting_id', sa.String(length=20), nullable=False),
    sa.Column('force', sa.String(length=100), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('chair', sa.String(length=64), nullable=False),
    sa.Column('tactical_version_id', sa.String(length=220), nullable=True),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('meeting_id')
    )
    op.create_table('terms_of_reference',
    sa.Column('tor_id', sa.String(length=20), nullable=False),
    sa.Column('force', sa.String(length=100), nullable=False),
    sa.Column('product_kind', sa.String(length=40), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('requester', sa.String(length=64), nullable=False),
    sa.Column('author', sa.String(length=64), nullable=False),
    sa.Column('area', sa.Text(), nullable=True),
    sa.Column('crime_types_json', sa.Text(), nullable=False),
    sa.Column('nominal_id', sa.String(length=100), nullable=True),
    sa.Column('period_from', sa.Date(), nullable=False),
    sa.Column('period_to', sa.Date(), nullable=True),
    sa.Column('questions_json', sa.Text(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('marking', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('commissioned_by', sa.String(length=20), nullable=True),
    sa.Column('proposed_by', sa.String(length=64), nullable=False),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('agreed_by', sa.String(length=64), nullable=True),
    sa.Column('agreed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('tor_id')
    )
    op.create_table('web_session',
    sa.Column('session_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('session_id')
    )


def downgrade() -> None:
    for name in ("web_session", "terms_of_reference", "tasking_meeting", "tasking_action", "store_identity",
                 "profile_record_version", "profile_record", "product_version", "product", "meeting_decision",
                 "event", "control_priority", "chain_head", "account_role", "account"):
        op.drop_table(name)
