"""Monta Partner API: the httpx client, its typed models and errors, and the activities."""
