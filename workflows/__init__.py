"""Deterministic code only: workflows, their pydantic models and pure decision functions."""
