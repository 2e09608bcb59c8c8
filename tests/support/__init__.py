"""Helpers the test suites share: free ports, server processes, Temporal environments."""
