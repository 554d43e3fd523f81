"""pricing (in progress)."""
