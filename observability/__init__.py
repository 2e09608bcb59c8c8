"""Logs, metrics and traces for the worker and the API (the operator's view)."""
