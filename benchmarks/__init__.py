"""Runnable benchmarks: `python -m benchmarks.NAME --rows 10000,100000,1000000`."""
