"""Benchmarks: scripts on the library, run from the repository root as modules
(`python -m benchmarks.NAME`), sharing benchmarks.harness (timing, results, tables)."""
