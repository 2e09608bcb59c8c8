"""Payload encryption for Temporal histories and the codec server the Temporal UI calls."""
