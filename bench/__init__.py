"""Benchmarks: each prints a ratio or count measured side by side in one run."""
