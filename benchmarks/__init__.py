"""Benchmarks: ``python -m benchmarks.run [NAME …]`` (the figures) and ``python -m benchmarks.<module> MEASURE``
(one measurement, printed as a JSON line)."""
