"""The chaos run: many paid sessions on the embedded stack while processes are SIGKILLed and
the emulators misbehave; the emulators' ground truth and Temporal then prove nothing was lost,
charged twice, captured twice or left open.

    python -m bench.chaos [--quick] [--seed N] [--sessions N]   # writes bench/results/chaos.json
"""
