"""CLI command groups, one module per concern."""
