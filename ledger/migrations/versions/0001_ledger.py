"""The ledger: number counters, receipts, refunds.

Revision ID: 0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "number_counters",
        sa.Column("operator", sa.String(32), primary_key=True),
        sa.Column("series", sa.String(16), primary_key=True),
        sa.Column("next_number", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "receipts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("operator", sa.String(32), nullable=False),
        sa.Column("number", sa.BigInteger, nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("total_minor", sa.BigInteger, nullable=False),
        sa.Column("captured_minor", sa.BigInteger, nullable=False),
        sa.Column("authorization_id", sa.String(200), nullable=False),  # refunds go to it
        sa.Column("document", sa.JSON, nullable=False),
        sa.UniqueConstraint("session_id", "kind", name="uq_receipts_session_kind"),
        sa.UniqueConstraint("operator", "number", name="uq_receipts_operator_number"),
    )
    op.create_table(
        "refunds",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.String(200), nullable=False),
        sa.Column("refund_key", sa.String(64), nullable=False),
        sa.Column("operator", sa.String(32), nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("acquirer_refund_id", sa.String(200), nullable=False),
        sa.Column("request_digest", sa.String(64), nullable=False),
        sa.Column("credit_note_number", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("session_id", "refund_key", name="uq_refunds_session_key"),
        sa.UniqueConstraint("operator", "credit_note_number", name="uq_refunds_operator_number"),
    )


def downgrade() -> None:
    op.drop_table("refunds")
    op.drop_table("receipts")
    op.drop_table("number_counters")
