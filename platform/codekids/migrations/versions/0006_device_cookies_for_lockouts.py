"""device cookies for lockouts

Login attempts learn which browser (device cookie) they came from, what they tried
(a child's secret, a staff password, a club code), a hash of a typed staff
username, whether the device was trusted for the account, and whether a librarian
lifted them. The per-club-and-address index of the old address lock goes: no lock
is kept per address for children any more.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='child', nullable=False))
        batch_op.add_column(sa.Column('device_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('username_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('trusted', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('lifted_at', sa.DateTime(), nullable=True))
        batch_op.drop_index('ix_login_attempts_club_address_at')
        batch_op.create_index('ix_login_attempts_device_at', ['device_id', 'at'], unique=False)
        batch_op.create_index('ix_login_attempts_address_at', ['address', 'at'], unique=False)
        batch_op.create_index('ix_login_attempts_username_at', ['username_hash', 'at'], unique=False)
    # Rows from before: a child's attempt always names its club, a staff login never.
    op.execute("UPDATE login_attempts SET kind = 'staff' WHERE club_id IS NULL")
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.create_check_constraint('kind', "kind in ('child', 'staff', 'club_code')")


def downgrade() -> None:
    # Club-code attempts have no place in the old table; staff and children's stay.
    op.execute("DELETE FROM login_attempts WHERE kind = 'club_code'")
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_login_attempts_kind'), type_='check')
        batch_op.drop_index('ix_login_attempts_username_at')
        batch_op.drop_index('ix_login_attempts_address_at')
        batch_op.drop_index('ix_login_attempts_device_at')
        batch_op.create_index('ix_login_attempts_club_address_at', ['club_id', 'address', 'at'], unique=False)
        batch_op.drop_column('lifted_at')
        batch_op.drop_column('trusted')
        batch_op.drop_column('username_hash')
        batch_op.drop_column('device_id')
        batch_op.drop_column('kind')
