"""The fault matrix: every money step x every fault kind, against the real stack."""
