"""service levels: paused clocks, fired events, polls and job runs

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ticket") as batch_op:
        batch_op.add_column(sa.Column("poll_at", storage.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("paused_at", storage.models.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("sla_fired", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(
            sa.Column("last_public_at", storage.models.UTCDateTime(), nullable=True)
        )
        batch_op.create_index("ix_ticket_poll_at", ["poll_at"], unique=False)
    op.create_table(
        "survey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("asked_at", storage.models.UTCDateTime(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("comment", sa.String(), nullable=True),
        sa.Column("answered_at", storage.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id"),
    )
    op.create_index("ix_survey_person_id", "survey", ["person_id"], unique=False)
    op.create_index("ix_survey_asked_at", "survey", ["asked_at"], unique=False)
    op.create_table(
        "job_run",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("last_started_at", storage.models.UTCDateTime(), nullable=True),
        sa.Column("last_finished_at", storage.models.UTCDateTime(), nullable=True),
        sa.Column("last_result", sa.String(length=500), nullable=False),
        sa.Column("next_run_at", storage.models.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("job_run")
    op.drop_index("ix_survey_asked_at", table_name="survey")
    op.drop_index("ix_survey_person_id", table_name="survey")
    op.drop_table("survey")
    with op.batch_alter_table("ticket") as batch_op:
        batch_op.drop_index("ix_ticket_poll_at")
        batch_op.drop_column("last_public_at")
        batch_op.drop_column("sla_fired")
        batch_op.drop_column("paused_at")
        batch_op.drop_column("poll_at")
