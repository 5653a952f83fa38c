"""where each article's text sits in the full-text index, and an index of headings alone

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # FTS5 cannot index its article_id column, so replacing an article's text looked it up
    # with a scan of the whole table; the row number makes that lookup direct. PostgreSQL keeps
    # the text in kb_article itself and leaves the column empty.
    op.add_column("kb_article", sa.Column("text_rowid", sa.Integer(), nullable=True))
    op.create_index("ix_kb_article_text_rowid", "kb_article", ["text_rowid"], unique=True)
    # Titles and tags indexed on their own: a lookup in them reads short lists, where the same
    # lookup in the whole text reads a list as long as the articles that mention the word.
    if op.get_context().dialect.name != "sqlite":
        op.add_column("kb_article", sa.Column("heading", postgresql.TSVECTOR()))
        op.create_index("ix_kb_article_heading", "kb_article", ["heading"], postgresql_using="gin")
        # The next `helpdesk kb index` (also run when `helpdesk run` starts) fills the headings.
        op.execute("UPDATE kb_article SET digest = ''")
        return
    op.execute(
        "CREATE VIRTUAL TABLE kb_heading_fts USING fts5("
        "article_id UNINDEXED, title, tags, tokenize = 'porter unicode61')"
    )
    op.execute(
        "INSERT INTO kb_heading_fts (rowid, article_id, title, tags) "
        "SELECT rowid, article_id, title, tags FROM kb_fts"
    )
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT rowid, article_id FROM kb_fts")).all()
    for rowid, article_id in rows:
        bind.execute(
            sa.text("UPDATE kb_article SET text_rowid = :rowid WHERE id = :id"),
            {"rowid": rowid, "id": article_id},
        )


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute("DROP TABLE kb_heading_fts")
    else:
        op.drop_index("ix_kb_article_heading", table_name="kb_article")
        op.drop_column("kb_article", "heading")
    op.drop_index("ix_kb_article_text_rowid", table_name="kb_article")
    with op.batch_alter_table("kb_article") as batch_op:
        batch_op.drop_column("text_rowid")
