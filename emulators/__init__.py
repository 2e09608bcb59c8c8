"""Emulators of the outside world chargepay talks to (Monta, the card acquirer)."""
