"""The ledger: receipts, receipt numbers and refunds, the records that outlive Temporal.

SQLAlchemy 2 Core over SQLite (the embedded default under `.data/`) or PostgreSQL (by URL),
with Alembic migrations (ledger/migrations). The session writes through activities
(activities/ledger), idempotently keyed by session id; the API only reads.
"""
