"""knowledge base: articles with full-text search, ratings, articles offered on tickets

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_article",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("last_reviewed", sa.String(length=32), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("title_terms", sa.String(), nullable=False),
        sa.Column("terms", sa.String(), nullable=False),
        sa.Column("indexed_at", storage.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_kb_article_category", "kb_article", ["category"])
    op.create_table(
        "kb_rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.String(length=100), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("helped", sa.Boolean(), nullable=False),
        sa.Column("at", storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_kb_rating_article_id", "kb_rating", ["article_id"])
    with op.batch_alter_table("ticket") as batch_op:
        batch_op.add_column(
            sa.Column(
                "offered_articles", sa.JSON(), nullable=False, server_default=sa.text("'[]'")
            )
        )
    _full_text()


def _full_text() -> None:
    """The database's own full-text search: FTS5 with BM25 on SQLite, tsvector on PostgreSQL."""
    if op.get_context().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE kb_fts USING fts5("
            "article_id UNINDEXED, title, tags, body, tokenize = 'porter unicode61')"
        )
        return
    op.add_column("kb_article", sa.Column("document", sa.dialects.postgresql.TSVECTOR()))
    op.create_index("ix_kb_article_document", "kb_article", ["document"], postgresql_using="gin")


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute("DROP TABLE kb_fts")
    with op.batch_alter_table("ticket") as batch_op:
        batch_op.drop_column("offered_articles")
    op.drop_index("ix_kb_rating_article_id", table_name="kb_rating")
    op.drop_table("kb_rating")
    op.drop_index("ix_kb_article_category", table_name="kb_article")
    op.drop_table("kb_article")
