"""The edge: platform adapters, the CLI, configuration and process wiring."""
