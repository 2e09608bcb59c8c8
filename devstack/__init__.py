"""`make dev`: the whole embedded stack in one command (`python -m devstack [--demo]`)."""
