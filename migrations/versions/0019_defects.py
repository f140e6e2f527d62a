"""job_lock: runs of one job never overlap; user.session_epoch: sign-out and a new password end sessions;
audit_head.seal: the trail's end sealed with the secret key, and recorded from the start

Revision ID: 0019_defects
Revises: 0018_report_fields
"""
import hashlib
import hmac

from alembic import op
from flask import current_app
import sqlalchemy as sa

import municipal.db
from municipal.db import utcnow

GENESIS = "0" * 64


def seal(last_id, last_hash):
    """As municipal.audit.services.seal makes it, written out so this migration stays as it ran."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{last_id}:{last_hash}".encode(), hashlib.sha256).hexdigest()

revision = '0019_defects'
down_revision = '0018_report_fields'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_lock',
    sa.Column('job', sa.String(length=64), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=False),
    sa.Column('locked_at', municipal.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('job', name=op.f('pk_job_lock'))
    )
    with op.batch_alter_table('user', schema=None) as batch_op:
        # Sessions signed in before this migration carry no epoch and end: everyone signs in once more.
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))


    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seal', sa.String(length=64), nullable=True))
    # The end as it stands now is sealed: the migration cannot tell a trail tampered with before it from
    # an intact one, and `municipal audit verify` before upgrading is how to know.
    connection = op.get_bind()
    head = connection.execute(sa.text("SELECT last_id, last_hash FROM audit_head WHERE id = 1")).first()
    if head is not None:
        connection.execute(sa.text("UPDATE audit_head SET seal = :seal WHERE id = 1"),
                           {"seal": seal(head.last_id, head.last_hash)})
    elif connection.execute(sa.text("SELECT id FROM audit_entry LIMIT 1")).first() is None:
        connection.execute(sa.text("INSERT INTO audit_head (id, last_id, last_hash, updated_at, seal) "
                                   "VALUES (1, 0, :genesis, :now, :seal)"),
                           {"genesis": GENESIS, "now": utcnow().replace(tzinfo=None), "seal": seal(0, GENESIS)})


def downgrade():
    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.drop_column('seal')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_epoch')
    op.drop_table('job_lock')
