"""Built-in stress-test scenarios (TOML files shipped with the package)."""
