"""agent workflow: duty, round-robin memory, vendors and resolutions

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person") as batch_op:
        batch_op.add_column(
            sa.Column("on_duty", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("membership") as batch_op:
        batch_op.add_column(
            sa.Column("last_assigned_at", storage.models.UTCDateTime(), nullable=True)
        )
    with op.batch_alter_table("ticket") as batch_op:
        batch_op.add_column(sa.Column("vendor", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("vendor_ref", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("resolution", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ticket") as batch_op:
        batch_op.drop_column("resolution")
        batch_op.drop_column("vendor_ref")
        batch_op.drop_column("vendor")
    with op.batch_alter_table("membership") as batch_op:
        batch_op.drop_column("last_assigned_at")
    with op.batch_alter_table("person") as batch_op:
        batch_op.drop_column("on_duty")
