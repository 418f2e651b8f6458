"""Files shipped inside the package: SVG icons (hmi/resources/icons). Scenarios live in hmi.mock.builtin_scenarios."""
