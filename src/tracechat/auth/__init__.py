"""API keys: created with the CLI, stored hashed in ``keys.json``, checked in constant time."""
