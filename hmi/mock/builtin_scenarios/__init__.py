"""Built-in scenario files (TOML), loaded by name with `hmi.mock.scenarios.load_scenario`."""
