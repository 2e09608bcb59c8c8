"""The API only reads the ledger (docs/design.md#the-ledger): no module under api/ imports
anything from ledger/ that writes or migrates it; the session's activities write it."""

from __future__ import annotations

import ast
from pathlib import Path

API = Path(__file__).resolve().parents[2] / "api"
# What the API may use from ledger/: an engine, and reads.
READS = {
    ("ledger.db", "make_engine"),
    ("ledger.receipts_store", "read_receipt"),
    ("ledger.receipts_store", "read_correction"),
    ("ledger.receipts_store", "authorization_of"),
    ("ledger.refunds_store", "credit_notes"),
}


def _ledger_imports(path: Path) -> set[tuple[str, str]]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ledger"):
            found |= {(node.module or "", alias.name) for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {(a.name, "*") for a in node.names if a.name.startswith("ledger")}
    return found


def test_the_api_imports_only_ledger_reads() -> None:
    used = {name for path in API.rglob("*.py") for name in _ledger_imports(path)}
    assert used, "the API reads the ledger somewhere"
    assert used <= READS, f"the API may only read the ledger: {sorted(used - READS)}"
