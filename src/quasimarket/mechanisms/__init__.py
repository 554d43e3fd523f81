"""mechanisms (in progress)."""
