"""Peer implementations used only by the benchmarks (not part of the package)."""
