"""Monta Partner API (v1): the httpx client and the Temporal activities.

client.py      MontaClient: one per operator credential (tokens, Monta-Version, typed errors)
tokens.py      access-token cache with single-flight refresh
models.py      tolerant pydantic models of Monta's objects (Decimal money, open enums)
jsonio.py      JSON in/out with Decimal numbers (never a float for money)
errors.py      MontaApiError and friends, built from Monta's error body
error_mapping  Monta errors -> Temporal ApplicationErrors (pure)
convert.py     Monta objects -> workflows.contracts (snapshots, tariffs, transactions)
scopes.py      check_consumer(): the scope check at worker start
activities.py  MontaActivities: the activities of one operator's `monta-<operator>` queue
factory.py     build_monta_activities(operator, settings)
metrics.py     request / 429 counters per operator and endpoint
"""
