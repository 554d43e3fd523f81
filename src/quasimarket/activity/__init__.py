"""activity (in progress)."""
