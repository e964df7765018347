"""Reproducible performance measurements, each writing benchmarks/results/NAME.md; not tests."""
