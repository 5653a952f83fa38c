"""timer indexes hold only set timers; unused ticket indexes dropped

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Every index of a row gets a new entry when a sweep moves one of its timers: indexes
# no query reads, and entries for empty timers, made each sweep's write dearer.
_TIMERS = ("sla_check_at", "ping_at", "reminder_at", "close_at", "poll_at")
_UNUSED = ("priority", "response_due_at", "resolution_due_at")


def upgrade() -> None:
    for name in _UNUSED:
        op.drop_index(f"ix_ticket_{name}", table_name="ticket")
    for name in _TIMERS:
        op.drop_index(f"ix_ticket_{name}", table_name="ticket")
        where = sa.text(f"{name} IS NOT NULL")
        op.create_index(
            f"ix_ticket_{name}",
            "ticket",
            [name],
            postgresql_where=where,
            sqlite_where=where,
        )


def downgrade() -> None:
    for name in _TIMERS:
        op.drop_index(f"ix_ticket_{name}", table_name="ticket")
        op.create_index(f"ix_ticket_{name}", "ticket", [name])
    for name in _UNUSED:
        op.create_index(f"ix_ticket_{name}", "ticket", [name])
