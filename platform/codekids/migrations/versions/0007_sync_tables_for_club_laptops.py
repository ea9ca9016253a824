"""sync tables for club laptops (issue 19)

National side: registered boxes (a token's hash, its hint, revoked/replaced),
the batches applied with the answer sent, every item received with its result,
and the stand-in children and projects of each box. Box side: the one settings
row, the pseudonyms of children and projects, and the outbox. Only new tables:
downgrading drops them and nothing else.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sync_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('server_url', sa.String(length=300), nullable=False),
    sa.Column('token', sa.Text(), nullable=False),
    sa.Column('configured_at', sa.DateTime(), nullable=False),
    sa.Column('last_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('last_success_at', sa.DateTime(), nullable=True),
    sa.Column('last_result', sa.String(length=32), nullable=True),
    sa.Column('last_detail', sa.String(length=300), nullable=True),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_settings'))
    )
    op.create_table('sync_boxes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('token_hint', sa.String(length=8), nullable=False),
    sa.Column('previous_token_hash', sa.String(length=64), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('replaced_at', sa.DateTime(), nullable=True),
    sa.Column('last_contact_at', sa.DateTime(), nullable=True),
    sa.Column('lines', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['club_id'], ['clubs.id'], name=op.f('fk_sync_boxes_club_id_clubs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_sync_boxes_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_boxes')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_sync_boxes_token_hash'))
    )
    with op.batch_alter_table('sync_boxes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_boxes_club_id'), ['club_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sync_boxes_previous_token_hash'), ['previous_token_hash'], unique=False)

    op.create_table('sync_pseudonyms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('child_id', sa.Integer(), nullable=False),
    sa.Column('child_key', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['child_id'], ['users.id'], name=op.f('fk_sync_pseudonyms_child_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_pseudonyms')),
    sa.UniqueConstraint('child_id', name=op.f('uq_sync_pseudonyms_child_id')),
    sa.UniqueConstraint('child_key', name=op.f('uq_sync_pseudonyms_child_key'))
    )
    op.create_table('sync_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('box_id', sa.Integer(), nullable=False),
    sa.Column('batch_key', sa.String(length=32), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('items', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('lines', sa.Integer(), nullable=False),
    sa.Column('box_totals', sa.JSON(), nullable=True),
    sa.Column('answer', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['box_id'], ['sync_boxes.id'], name=op.f('fk_sync_batches_box_id_sync_boxes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_batches')),
    sa.UniqueConstraint('box_id', 'batch_key', name='uq_sync_batches_box_key')
    )
    op.create_table('sync_children',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('box_id', sa.Integer(), nullable=False),
    sa.Column('child_key', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['box_id'], ['sync_boxes.id'], name=op.f('fk_sync_children_box_id_sync_boxes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sync_children_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_children')),
    sa.UniqueConstraint('box_id', 'child_key', name='uq_sync_children_box_key')
    )
    with op.batch_alter_table('sync_children', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_children_user_id'), ['user_id'], unique=False)

    op.create_table('sync_project_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('project_key', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_sync_project_keys_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_project_keys')),
    sa.UniqueConstraint('project_id', name=op.f('uq_sync_project_keys_project_id')),
    sa.UniqueConstraint('project_key', name=op.f('uq_sync_project_keys_project_key'))
    )
    op.create_table('sync_projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('box_id', sa.Integer(), nullable=False),
    sa.Column('project_key', sa.String(length=32), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['box_id'], ['sync_boxes.id'], name=op.f('fk_sync_projects_box_id_sync_boxes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_sync_projects_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_projects')),
    sa.UniqueConstraint('box_id', 'project_key', name='uq_sync_projects_box_key')
    )
    with op.batch_alter_table('sync_projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_projects_project_id'), ['project_id'], unique=False)

    op.create_table('sync_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('box_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('item_key', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('exercise_id', sa.String(length=64), nullable=True),
    sa.Column('exercise_hash', sa.String(length=64), nullable=True),
    sa.Column('project_key', sa.String(length=32), nullable=True),
    sa.Column('child_key', sa.String(length=32), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('written_at', sa.String(length=40), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('lines', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['sync_batches.id'], name=op.f('fk_sync_items_batch_id_sync_batches'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['box_id'], ['sync_boxes.id'], name=op.f('fk_sync_items_box_id_sync_boxes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_sync_items_submission_id_submissions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_items')),
    sa.UniqueConstraint('box_id', 'item_key', name='uq_sync_items_box_key')
    )
    with op.batch_alter_table('sync_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_items_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sync_items_submission_id'), ['submission_id'], unique=False)

    op.create_table('sync_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('item_key', sa.String(length=32), nullable=False),
    sa.Column('batch_key', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('lines_national', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_sync_outbox_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_outbox')),
    sa.UniqueConstraint('item_key', name=op.f('uq_sync_outbox_item_key')),
    sa.UniqueConstraint('submission_id', name=op.f('uq_sync_outbox_submission_id'))
    )
    with op.batch_alter_table('sync_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_outbox_batch_key'), ['batch_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_sync_outbox_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sync_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_outbox_status'))
        batch_op.drop_index(batch_op.f('ix_sync_outbox_batch_key'))

    op.drop_table('sync_outbox')
    with op.batch_alter_table('sync_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_items_submission_id'))
        batch_op.drop_index(batch_op.f('ix_sync_items_batch_id'))

    op.drop_table('sync_items')
    with op.batch_alter_table('sync_projects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_projects_project_id'))

    op.drop_table('sync_projects')
    op.drop_table('sync_project_keys')
    with op.batch_alter_table('sync_children', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_children_user_id'))

    op.drop_table('sync_children')
    op.drop_table('sync_batches')
    op.drop_table('sync_pseudonyms')
    with op.batch_alter_table('sync_boxes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_boxes_previous_token_hash'))
        batch_op.drop_index(batch_op.f('ix_sync_boxes_club_id'))

    op.drop_table('sync_boxes')
    op.drop_table('sync_settings')
