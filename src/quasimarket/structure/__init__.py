"""structure (in progress)."""
