"""Test support shared by the suites: builders of log records, workers, stacks and fixtures."""
