"""The published wire contract: JSON Schema files generated from events/ (see schemas/generate.py)."""
