"""Ledger activities: the session's writes to the ledger (ledger/)."""
