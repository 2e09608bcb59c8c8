"""chargepay's benchmarks: `python -m bench --quick|--full` writes bench/results/latest.json."""
