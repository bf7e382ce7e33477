"""Benchmarks: ``python benchmarks/run.py`` (all figures) and ``python -m benchmarks.<name>`` (one area)."""
