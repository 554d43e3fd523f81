"""contracts (in progress)."""
