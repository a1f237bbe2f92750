"""history indexes: a question's status and title at a moment are one backward index step

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 14:50:00.000000
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0009'
down_revision: str | Sequence[str] | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, index, the value the as-of read takes from it)
_HISTORIES = (
    ('question_status_changes', 'ix_question_status_changes_question_id_changed_at', 'to_status'),
    ('question_title_changes', 'ix_question_title_changes_question_id_changed_at', 'title'),
)


def upgrade() -> None:
    for table, index, value in _HISTORIES:
        op.drop_index(index, table_name=table)
        op.create_index(
            index,
            table,
            ['question_id', 'changed_at', 'id'],
            unique=False,
            postgresql_include=[value],
        )


def downgrade() -> None:
    for table, index, _ in _HISTORIES:
        op.drop_index(index, table_name=table)
        op.create_index(index, table, ['question_id', 'changed_at'], unique=False)
