"""Monta's webhooks, the API side: the signed route (`router`), reading a batch (`batch`),
which snapshots are worth a signal (`coalesce`), sending them (`sender`), the hint to the
operator's watcher that webhooks flow (`watcher_hint`), and registering the URL with Monta
(`register`, `python -m api.webhooks.register`)."""
