"""Pipeline benchmark: `python -m benchmarks.bench --people N` (see README.md here)."""
