"""badge keys the repository's config file sets, apart from the operator's (CLI) ones

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("badge_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("config_stale_days", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("config_thresholds", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("badge_settings", schema=None) as batch_op:
        batch_op.drop_column("config_thresholds")
        batch_op.drop_column("config_stale_days")
