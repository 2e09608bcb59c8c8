"""chargepay's HTTP API: terminal sessions, quotes, Monta webhooks, health."""
