"""Maintenance scripts run as files (`python scripts/<name>.py`), e.g. by `make screenshots`."""
