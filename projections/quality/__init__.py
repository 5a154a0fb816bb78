"""Data quality of the register: measures computed from the read models (docs/quality.md)."""
