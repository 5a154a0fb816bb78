"""popreg."""
