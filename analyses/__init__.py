"""History analyses of the canonical log: event-history data sets, fertility and migration analyses."""

__version__ = "1.0"
