"""Benchmarks of Siyu against what an analyst would use instead; results go to docs/benchmarks.md."""
