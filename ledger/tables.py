"""The ledger's tables (SQLAlchemy Core). Alembic's migrations create them; this module is
what the code reads and writes through, and a test checks the two agree.

Money is integer minor units + an ISO currency, never floats. A receipt's full document
(lines, VAT, operator, card brand and last 4) is stored as the JSON it was issued with, so
a later change to the operators file or the code never rewrites a tax record.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

metadata = MetaData()

# One row per (operator, series): the next number to hand out. Taken under a row lock in the
# transaction that inserts the document, so numbers are gapless and never given twice.
number_counters = Table(
    "number_counters",
    metadata,
    Column("operator", String(32), primary_key=True),
    Column("series", String(16), primary_key=True),  # "receipt" | "credit_note"
    Column("next_number", BigInteger, nullable=False),
)

receipts = Table(
    "receipts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", String(200), nullable=False),
    # "original", or "correction": the same receipt reissued with the buyer's VAT id, under
    # its own number (the document's `corrects` names the first). One of each per session.
    Column("kind", String(16), nullable=False),
    Column("operator", String(32), nullable=False),
    Column("number", BigInteger, nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("total_minor", BigInteger, nullable=False),
    Column("captured_minor", BigInteger, nullable=False),
    Column("authorization_id", String(200), nullable=False),  # the hold refunds go back to
    Column("document", JSON, nullable=False),
    UniqueConstraint("session_id", "kind", name="uq_receipts_session_kind"),
    UniqueConstraint("operator", "number", name="uq_receipts_operator_number"),
)

refunds = Table(
    "refunds",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", String(200), nullable=False),
    Column("refund_key", String(64), nullable=False),
    Column("operator", String(32), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("requested_by", String(200), nullable=False),
    Column("acquirer_refund_id", String(200), nullable=False),
    Column("request_digest", String(64), nullable=False),  # a reused key with another body
    Column("credit_note_number", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("session_id", "refund_key", name="uq_refunds_session_key"),
    UniqueConstraint("operator", "credit_note_number", name="uq_refunds_operator_number"),
)
